//! One cloud source's folder browser as plain state: where the person is (the trail of folders,
//! with back and forward), what the folder holds so far (pages are appended as they arrive), how it
//! is shown (list or grid, sort, filter), and whether the source asks for a sign-in first. Changed
//! only by [`Browse::reduce`]; the picker fetches what [`Browse::want`] names and reduces the
//! answer, which carries the number of the request it answers, so a late answer for a folder the
//! person already left is dropped.

use super::wire::{AuthOffer, CloudItem, Listing};
use crate::model::failure::Failure;
use std::rc::Rc;

/// A folder on the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    /// What it is called (empty for the root until the source names it).
    pub name: String,
    /// Its path.
    pub path: String,
}

impl Crumb {
    /// The source's root.
    pub fn root() -> Crumb {
        Crumb {
            name: String::new(),
            path: "/".into(),
        }
    }
}

/// How the items are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Rows with name, size and type.
    #[default]
    List,
    /// Tiles with pictures.
    Grid,
}

/// How the items are ordered (folders always come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By name, ignoring case.
    #[default]
    Name,
    /// Largest first.
    Size,
    /// By type, then name.
    Type,
}

/// What the browser is doing.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Status {
    /// Nothing asked yet.
    #[default]
    Idle,
    /// The folder's first page is on its way.
    Loading,
    /// Shown; more pages may follow.
    Ready,
    /// The next page is on its way.
    LoadingMore,
    /// The person must sign in first.
    SignIn(AuthOffer),
    /// The server does not offer this source to this app.
    Unavailable,
    /// The listing failed.
    Failed(Failure),
}

/// What the picker should fetch now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// The request's number (handed back with the answer).
    pub request: u32,
    /// The folder.
    pub path: String,
    /// The page after this token (`None`: the first page).
    pub next: Option<String>,
}

/// A change of the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseAction {
    /// Show the source (its root, the first time).
    Show,
    /// Open a folder below the current one.
    Open(Crumb),
    /// Go to the trail's `n`-th folder (0: the root).
    Up(usize),
    /// Back in history.
    Back,
    /// Forward in history.
    Forward,
    /// List the folder again (after a sign-in, on focus, or by hand).
    Refresh,
    /// Load the next page.
    More,
    /// Search for these words (a search source's folder `/<words>/`).
    Search(String),
    /// The answer to request `request`.
    Answer(u32, Result<Listing, Failure>),
    /// The person signed out: back to the root, which offers the sign-in again.
    SignedOut,
    /// The page has the focus again: a folder filled by choosing elsewhere (Google Photos'
    /// page) is listed again.
    Focus,
    /// Show as a list or a grid.
    Layout(Layout),
    /// Order by.
    Sort(Sort),
    /// Show only items whose name contains this text.
    Filter(String),
}

/// One source's browser.
#[derive(Debug, Clone, PartialEq)]
pub struct Browse {
    /// From the root to the folder shown.
    pub trail: Vec<Crumb>,
    back: Vec<Vec<Crumb>>,
    forward: Vec<Vec<Crumb>>,
    /// The folder's items read so far, in the source's order. Shared: every change of the
    /// browser copies it, and a folder can hold thousands of items.
    pub items: Rc<Vec<CloudItem>>,
    /// The next page's token.
    pub next: Option<String>,
    /// What it is doing.
    pub status: Status,
    /// Who is signed in.
    pub account: Option<String>,
    /// Where the person chooses what this folder holds (Google Photos).
    pub pick_url: Option<String>,
    /// Layout, order and filter.
    pub layout: Layout,
    /// Order.
    pub sort: Sort,
    /// Filter text.
    pub filter: String,
    /// The number of the request in flight (or last answered).
    pub request: u32,
}

impl Default for Browse {
    /// At the source's root, nothing asked yet.
    fn default() -> Browse {
        Browse {
            trail: vec![Crumb::root()],
            back: Vec::new(),
            forward: Vec::new(),
            items: Rc::default(),
            next: None,
            status: Status::Idle,
            account: None,
            pick_url: None,
            layout: Layout::default(),
            sort: Sort::default(),
            filter: String::new(),
            request: 0,
        }
    }
}

/// The error code of a source the server does not offer.
const UNKNOWN_SOURCE: &str = "unknown_source";

impl Browse {
    /// The folder shown.
    pub fn here(&self) -> &Crumb {
        self.trail.last().expect("the trail always has the root")
    }

    /// Whether there is history to go back or forward to.
    pub fn can_go(&self) -> (bool, bool) {
        (!self.back.is_empty(), !self.forward.is_empty())
    }

    /// What to fetch now, if anything.
    pub fn want(&self) -> Option<Want> {
        let next = match self.status {
            Status::Loading => None,
            Status::LoadingMore => Some(self.next.clone()?),
            _ => return None,
        };
        Some(Want {
            request: self.request,
            path: self.here().path.clone(),
            next,
        })
    }

    /// The items to show, as indexes into `items`: filtered, folders first, in the chosen order.
    /// Names are compared as `fold` lowers their case: the browser passes JavaScript's
    /// `toLowerCase`, since Rust's `str::to_lowercase` would add its Unicode tables (kilobytes)
    /// to the wasm.
    pub fn order(&self, fold: &dyn Fn(&str) -> String) -> Vec<usize> {
        let needle = fold(self.filter.trim());
        let mut out: Vec<(String, usize)> = self
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| (fold(&i.name), n))
            .filter(|(name, _)| needle.is_empty() || name.contains(&needle))
            .collect();
        let items = &self.items;
        out.sort_by(|(an, a), (bn, b)| {
            let (a, b) = (&items[*a], &items[*b]);
            b.folder.cmp(&a.folder).then_with(|| match self.sort {
                Sort::Name => an.cmp(bn),
                Sort::Size => b.size.cmp(&a.size).then_with(|| an.cmp(bn)),
                Sort::Type => a.mimetype.cmp(&b.mimetype).then_with(|| an.cmp(bn)),
            })
        });
        out.into_iter().map(|(_, n)| n).collect()
    }

    /// What [`Browse::order`] depends on: equal keys, equal orders. Items only change by a new
    /// listing (a new request number) or by a page appended (a longer list).
    pub fn order_key(&self) -> (u32, usize, Sort, String) {
        (
            self.request,
            self.items.len(),
            self.sort,
            self.filter.clone(),
        )
    }

    /// Starts listing the folder at the end of the trail.
    fn load(mut self) -> Browse {
        self.items = Rc::default();
        self.next = None;
        self.pick_url = None;
        self.filter.clear();
        self.status = Status::Loading;
        self.request = self.request.wrapping_add(1);
        self
    }

    /// Goes to `trail`, remembering where the person was.
    fn go(mut self, trail: Vec<Crumb>) -> Browse {
        let was = std::mem::replace(&mut self.trail, trail);
        self.back.push(was);
        self.forward.clear();
        self.load()
    }

    /// The browser after `action`.
    pub fn reduce(mut self, action: BrowseAction) -> Browse {
        match action {
            BrowseAction::Show => match self.status {
                Status::Idle | Status::Failed(_) => return self.load(),
                _ => {}
            },
            BrowseAction::Open(c) => {
                let mut trail = self.trail.clone();
                trail.push(c);
                return self.go(trail);
            }
            BrowseAction::Up(n) if n + 1 < self.trail.len() => {
                let trail = self.trail[..=n].to_vec();
                return self.go(trail);
            }
            BrowseAction::Up(_) => {}
            BrowseAction::Back => {
                if let Some(t) = self.back.pop() {
                    let here = std::mem::replace(&mut self.trail, t);
                    self.forward.push(here);
                    return self.load();
                }
            }
            BrowseAction::Forward => {
                if let Some(t) = self.forward.pop() {
                    let here = std::mem::replace(&mut self.trail, t);
                    self.back.push(here);
                    return self.load();
                }
            }
            BrowseAction::Refresh => return self.load(),
            BrowseAction::More => {
                if self.status == Status::Ready && self.next.is_some() {
                    self.status = Status::LoadingMore;
                }
            }
            BrowseAction::Search(words) => {
                let words = words.trim().replace('/', " ");
                if !words.is_empty() {
                    let path = format!("/{words}/");
                    return self.go(vec![Crumb::root(), Crumb { name: words, path }]);
                }
            }
            BrowseAction::Answer(n, _) if n != self.request => {}
            BrowseAction::Answer(_, answer) => self.answered(answer),
            BrowseAction::SignedOut => {
                self.account = None;
                self.back.clear();
                self.forward.clear();
                self.trail = vec![Crumb::root()];
                return self.load();
            }
            BrowseAction::Focus if self.pick_url.is_some() && self.status == Status::Ready => {
                // Back from choosing at the root: the choice is in the root's one folder, which
                // opens (listing the root again would start a new choice and lose this one).
                let chosen = match &self.items[..] {
                    [only] if only.folder && self.trail.len() == 1 => Some(Crumb {
                        name: only.name.clone(),
                        path: only.path.clone(),
                    }),
                    _ => None,
                };
                return match chosen {
                    Some(c) => self.reduce(BrowseAction::Open(c)),
                    None => self.load(),
                };
            }
            BrowseAction::Focus => {}
            BrowseAction::Layout(l) => self.layout = l,
            BrowseAction::Sort(s) => self.sort = s,
            BrowseAction::Filter(f) => self.filter = f,
        }
        self
    }

    fn answered(&mut self, answer: Result<Listing, Failure>) {
        let more = self.status == Status::LoadingMore;
        match answer {
            Ok(Listing::Page(p)) => {
                if more {
                    Rc::make_mut(&mut self.items).extend(p.items);
                } else {
                    self.items = Rc::new(p.items);
                }
                let here = self.trail.last_mut().expect("the trail has the root");
                if here.name.is_empty() {
                    here.name = p.folder;
                }
                self.next = p.next;
                self.account = p.account.or(self.account.take());
                self.pick_url = p.pick_url;
                self.status = Status::Ready;
            }
            Ok(Listing::SignIn(offer)) => {
                self.items = Rc::default();
                self.next = None;
                self.account = None;
                self.status = Status::SignIn(offer);
            }
            Err(f) if f.code.as_deref() == Some(UNKNOWN_SOURCE) => {
                self.status = Status::Unavailable;
            }
            // A page after the first that fails leaves what was read; the person can try again.
            Err(f) => self.status = Status::Failed(f),
        }
    }
}

#[cfg(test)]
mod tests;
