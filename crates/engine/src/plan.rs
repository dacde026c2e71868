//! How a file is cut into parts (docs/protocol.md §11): regular parts of `part_size`, intelligent
//! parts of 8 MiB, and never more than 10 000 parts (the part size grows for huge files).

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
    let part_size = part_size.max(size.div_ceil(u64::from(MAX_PARTS))).max(1);
    let count = size.div_ceil(part_size);
    (0..count)
        .map(|i| PartPlan {
            number: i as u32 + 1,
            start: i * part_size,
            end: ((i + 1) * part_size).min(size),
        })
        .collect()
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
}
