//! [`IdMap`]: a map from small ids to values, kept as one sorted `Vec`.
//!
//! The engine and its browser driver hold a handful of files and requests at a time, keyed by
//! [`FileId`](crate::FileId) or [`RequestId`](crate::RequestId). A sorted vector answers their
//! look-ups as fast as a `BTreeMap` or `HashMap` at that size, iterates in id order (so what the
//! engine does never depends on hashing), and compiles to far less code: in the WebAssembly
//! build, every `BTreeMap`/`HashMap` instantiation costs kilobytes, this costs a few hundred bytes.
//! Inserting and removing are O(n); ids grow, so the usual insert is a push at the end.

/// A map from ids to values, iterated in id order. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord + Copy, V> IdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        // Ids mostly arrive in order: check the end first.
        match self.entries.last() {
            Some((last, _)) if last < key => Err(self.entries.len()),
            _ => self.entries.binary_search_by(|(k, _)| k.cmp(key)),
        }
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// Takes `key` out of the map.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Whether `key` is in the map.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Keeps only the entries for which `keep` says yes.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The ids in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in id order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in id order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord + Copy, V> FromIterator<(K, V)> for IdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K, V> IntoIterator for IdMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a IdMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord + Copy, V> std::ops::Index<&K> for IdMap<K, V> {
    type Output = V;

    /// The value of `key`; panics when it is missing, like `HashMap`'s index.
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("no entry for this id")
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    #[test]
    fn keeps_ids_in_order_whatever_the_insert_order() {
        let mut m = IdMap::new();
        for k in [5u32, 1, 9, 3, 7] {
            assert_eq!(m.insert(k, k * 10), None);
        }
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 7, 9]);
        assert_eq!(
            m.insert(3, 33),
            Some(30),
            "insert replaces and returns the old value"
        );
        assert_eq!(m.get(&3), Some(&33));
        assert_eq!(m[&9], 90);
        assert_eq!(m.len(), 5);
    }

    #[test]
    fn get_mut_remove_and_contains() {
        let mut m: IdMap<u64, String> = [(2, "b".to_owned()), (1, "a".to_owned())]
            .into_iter()
            .collect();
        m.get_mut(&2).unwrap().push('!');
        assert_eq!(m.get(&2).map(String::as_str), Some("b!"));
        assert_eq!(m.get_mut(&4), None);
        assert_eq!(m.remove(&1).as_deref(), Some("a"));
        assert_eq!(m.remove(&1), None);
        assert!(!m.contains_key(&1) && m.contains_key(&2));
        m.insert(3, "c".to_owned());
        m.retain(|k, _| *k != 3);
        assert_eq!(m.len(), 1);
        for v in m.values_mut() {
            v.clear();
        }
        assert_eq!(m.into_iter().collect::<Vec<_>>(), [(2, String::new())]);
    }

    #[test]
    fn empty_map() {
        let m: IdMap<u32, ()> = IdMap::new();
        assert!(m.is_empty());
        assert_eq!(m.get(&0), None);
        assert_eq!(m.iter().count(), 0);
    }
}
