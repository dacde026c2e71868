//! How a file is cut into parts (docs/protocol.md §11): regular parts of `part_size`, intelligent
//! parts of 8 MiB, and never more than 10 000 parts (the part size grows for huge files). A
//! regular upload's tail may be cut again into bigger parts once the link has shown itself fast
//! (`crate::grow`); [`plan_layout`] replays those recuts for a checkpoint.

use skiff_protocol::limits::MAX_PARTS;

/// One part: its number and byte range in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// 1-based part number.
    pub number: u32,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// Cuts `size` bytes into parts of `part_size` (grown to keep at most 10 000 parts).
pub fn plan_parts(size: u64, part_size: u64) -> Vec<PartPlan> {
    plan_from(1, 0, size, grown(size, part_size))
}

/// The length of part 1 of `size` bytes as [`plan_parts`] cuts them; `None`: no part (an empty
/// file).
pub(crate) fn first_part_len(size: u64, part_size: u64) -> Option<u64> {
    (size > 0).then(|| grown(size, part_size).max(1).min(size))
}

fn grown(size: u64, part_size: u64) -> u64 {
    part_size.max(size.div_ceil(u64::from(MAX_PARTS)))
}

/// Cuts bytes `from..size` into parts of `part_size` numbered from `number` on.
pub(crate) fn plan_from(number: u32, from: u64, size: u64, part_size: u64) -> Vec<PartPlan> {
    let part_size = part_size.max(1);
    let count = size.saturating_sub(from).div_ceil(part_size);
    (0..count)
        .map(|i| PartPlan {
            number: number + i as u32,
            start: from + i * part_size,
            end: (from + (i + 1) * part_size).min(size),
        })
        .collect()
}

/// The parts of `size` bytes cut into `part_size`, then from each recut's `(from, size)` on
/// into parts of that size, in order; `None` when a recut does not begin where a part does, or
/// would make more than 10 000 parts (a checkpoint read back is not trusted to be sane).
pub(crate) fn plan_layout(
    size: u64,
    part_size: u64,
    recuts: &[(u64, u64)],
) -> Option<Vec<PartPlan>> {
    let mut parts = plan_parts(size, part_size);
    for &(from, cut) in recuts {
        let i = parts.iter().position(|p| p.start == from)?;
        if cut == 0 || i as u64 + (size - from).div_ceil(cut) > u64::from(MAX_PARTS) {
            return None;
        }
        let number = parts[i].number;
        parts.truncate(i);
        parts.extend(plan_from(number, from, size, cut));
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn parts() {
        assert!(plan_parts(0, 6 * MIB).is_empty());
        assert_eq!(
            plan_parts(1, 6 * MIB),
            [PartPlan {
                number: 1,
                start: 0,
                end: 1
            }]
        );
        let p = plan_parts(13 * MIB, 6 * MIB);
        assert_eq!(
            p.iter().map(|p| p.end - p.start).collect::<Vec<_>>(),
            [6 * MIB, 6 * MIB, MIB]
        );
        let p = plan_parts(5 * MIB + 1, 5 * MIB);
        assert_eq!((p.len(), p[1].start, p[1].end), (2, 5 * MIB, 5 * MIB + 1));
        // 100 GiB in 6 MiB parts would be 17 067 parts: the size grows to stay at 10 000.
        let huge = plan_parts(100 * 1024 * MIB, 6 * MIB);
        assert_eq!(huge.len(), 10_000);
        assert_eq!(huge.last().unwrap().end, 100 * 1024 * MIB);
    }

    #[test]
    fn the_first_part_is_the_plans() {
        for (size, part) in [
            (0, MIB),
            (1, MIB),
            (MIB, MIB),
            (13 * MIB, 6 * MIB),
            (100 * 1024 * MIB, 6 * MIB),
            (5, 0),
        ] {
            let plan = plan_parts(size, part);
            assert_eq!(
                first_part_len(size, part),
                plan.first().map(|p| p.end - p.start),
                "{size} in parts of {part}"
            );
        }
    }

    #[test]
    fn recut_layouts() {
        let sizes = |p: &[PartPlan]| p.iter().map(|p| p.end - p.start).collect::<Vec<_>>();
        // 64 MiB: two 6 MiB parts, then 32 MiB parts from 12 MiB on.
        let p = plan_layout(64 * MIB, 6 * MIB, &[(12 * MIB, 32 * MIB)]).unwrap();
        assert_eq!(sizes(&p), [6 * MIB, 6 * MIB, 32 * MIB, 20 * MIB]);
        assert_eq!(p.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!((p[2].start, p[3].end), (12 * MIB, 64 * MIB));
        // A second recut replays on the first one's parts.
        let p = plan_layout(
            64 * MIB,
            6 * MIB,
            &[(12 * MIB, 32 * MIB), (44 * MIB, 8 * MIB)],
        );
        assert_eq!(
            sizes(&p.unwrap()),
            [6 * MIB, 6 * MIB, 32 * MIB, 8 * MIB, 8 * MIB, 4 * MIB]
        );
        // None: the same as the plain plan.
        assert_eq!(
            plan_layout(13 * MIB, 6 * MIB, &[]).unwrap(),
            plan_parts(13 * MIB, 6 * MIB)
        );
        // A recut that does not begin at a part's first byte is no layout.
        assert_eq!(plan_layout(64 * MIB, 6 * MIB, &[(7 * MIB, 32 * MIB)]), None);
        assert_eq!(
            plan_layout(64 * MIB, 6 * MIB, &[(64 * MIB, 32 * MIB)]),
            None
        );
        // Nor one of no size, or of more parts than an upload may have.
        assert_eq!(plan_layout(64 * MIB, 6 * MIB, &[(6 * MIB, 0)]), None);
        assert_eq!(plan_layout(64 * MIB, 6 * MIB, &[(6 * MIB, 1)]), None);
    }
}
