//! Scored rows as bytes, for sending a series scored on one server to another (a Citus worker
//! to its coordinator), compact because the bytes cross the network: per row two bytes of
//! flags, the timestamp as a varint of the change in its step (one byte for evenly spaced
//! rows), then each cell that is present and differs from the same cell of the row before
//! (a band or an expected value that holds still costs nothing). Exact to the bit.

use crate::scored::Scored;

/// One scored row: its time (any i64 clock), its value, and what the detector said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WireRow {
    pub ts: i64,
    pub value: Option<f64>,
    pub scored: Scored,
}

/// Cells of a row, in wire order; each takes two bits of the flags.
const CELLS: usize = 6;
const ABSENT: u16 = 0;
const NEW: u16 = 1;
const SAME: u16 = 2;
const FLAGGED: u16 = 1 << 12;
const ANOMALY: u16 = 1 << 13;

fn cells(r: &WireRow) -> [Option<f64>; CELLS] {
    let s = r.scored;
    [r.value, s.score, s.probability, s.expected, s.lower, s.upper]
}

/// Appends rows one at a time, remembering the last so the next costs only what changed.
#[derive(Default)]
pub struct Encoder {
    ts: i64,
    step: i64,
    last: [Option<u64>; CELLS],
}

impl Encoder {
    pub fn push(&mut self, r: &WireRow, out: &mut Vec<u8>) {
        let mut flags = 0u16;
        let mut fresh = [None; CELLS];
        for (i, cell) in cells(r).into_iter().enumerate() {
            let state = match cell.map(f64::to_bits) {
                None => ABSENT,
                Some(bits) if self.last[i] == Some(bits) => SAME,
                Some(bits) => {
                    fresh[i] = Some(bits);
                    self.last[i] = Some(bits);
                    NEW
                }
            };
            flags |= state << (2 * i);
        }
        if let Some(a) = r.scored.is_anomaly {
            flags |= FLAGGED | if a { ANOMALY } else { 0 };
        }
        out.extend_from_slice(&flags.to_le_bytes());
        let step = r.ts.wrapping_sub(self.ts);
        put_varint(zigzag(step.wrapping_sub(self.step)), out);
        (self.ts, self.step) = (r.ts, step);
        for bits in fresh.into_iter().flatten() {
            out.extend_from_slice(&bits.to_le_bytes());
        }
    }
}

fn zigzag(x: i64) -> u64 {
    ((x << 1) ^ (x >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint(mut u: u64, out: &mut Vec<u8>) {
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

const CUT: &str = "a scored row is cut short";

fn take<const N: usize>(bytes: &mut &[u8]) -> Result<[u8; N], String> {
    let (head, rest) = bytes.split_first_chunk::<N>().ok_or(CUT)?;
    *bytes = rest;
    Ok(*head)
}

fn take_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut u = 0u64;
    for shift in (0..64).step_by(7) {
        let [b] = take::<1>(bytes)?;
        u |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(u);
        }
    }
    Err("a timestamp's varint runs past 64 bits".into())
}

/// Every row of `bytes`, or what is wrong with them.
pub fn decode(mut bytes: &[u8]) -> Result<Vec<WireRow>, String> {
    let mut rows = Vec::new();
    let (mut ts, mut step) = (0i64, 0i64);
    let mut last = [None::<f64>; CELLS];
    while !bytes.is_empty() {
        let flags = u16::from_le_bytes(take::<2>(&mut bytes)?);
        step = step.wrapping_add(unzigzag(take_varint(&mut bytes)?));
        ts = ts.wrapping_add(step);
        let mut row = [None; CELLS];
        for (i, cell) in row.iter_mut().enumerate() {
            *cell = match (flags >> (2 * i)) & 3 {
                ABSENT => None,
                NEW => {
                    last[i] = Some(f64::from_bits(u64::from_le_bytes(take::<8>(&mut bytes)?)));
                    last[i]
                }
                SAME => Some(last[i].ok_or("a cell repeats one never sent")?),
                _ => return Err("a cell's flags are not a state".into()),
            };
        }
        let [value, score, probability, expected, lower, upper] = row;
        let is_anomaly = (flags & FLAGGED != 0).then_some(flags & ANOMALY != 0);
        rows.push(WireRow { ts, value, scored: Scored { score, is_anomaly, expected, lower, upper, probability } });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(rows: &[WireRow]) -> Vec<u8> {
        let (mut e, mut out) = (Encoder::default(), Vec::new());
        rows.iter().for_each(|r| e.push(r, &mut out));
        out
    }

    #[test]
    fn rows_survive_the_trip_to_the_bit() {
        let band = |score: f64| Scored {
            score: Some(score),
            is_anomaly: Some(score > 3.0),
            expected: Some(1.0),
            lower: Some(-2.0),
            upper: Some(4.0),
            probability: Some(score / 10.0),
        };
        let rows = vec![
            WireRow { ts: -5, value: None, scored: Scored::WARMUP },
            WireRow { ts: 1_000_000, value: Some(2.5), scored: band(7.0) },
            WireRow { ts: 2_000_000, value: Some(-0.0), scored: band(0.5) },
            WireRow { ts: 2_000_000, value: Some(0.0), scored: Scored { is_anomaly: Some(false), ..Scored::WARMUP } },
            WireRow { ts: i64::MAX, value: Some(f64::MIN_POSITIVE), scored: Scored::unbounded(f64::MAX, false, None) },
            WireRow { ts: i64::MIN, value: Some(f64::NAN), scored: band(1.0) },
        ];
        let back = decode(&encoded(&rows)).unwrap();
        let bits = |r: &WireRow| (r.ts, cells(r).map(|c| c.map(f64::to_bits)), r.scored.is_anomaly);
        assert_eq!(rows.iter().map(bits).collect::<Vec<_>>(), back.iter().map(bits).collect::<Vec<_>>());
    }

    #[test]
    fn evenly_spaced_rows_with_a_steady_band_cost_a_few_bytes_beyond_their_value_and_score() {
        let rows: Vec<WireRow> = (0..1000)
            .map(|i| WireRow {
                ts: 1_700_000_000_000_000 + i * 60_000_000,
                value: Some(i as f64),
                scored: Scored {
                    score: Some(i as f64 / 7.0),
                    expected: Some(5.0),
                    lower: Some(1.0),
                    upper: Some(9.0),
                    ..Scored::WARMUP
                },
            })
            .collect();
        let bytes = encoded(&rows);
        // Two flag bytes, one timestamp byte, value and score: 19 a row after the first two.
        assert!(bytes.len() <= 1000 * 19 + 64, "{} bytes", bytes.len());
        assert_eq!(decode(&bytes).unwrap(), rows);
    }

    #[test]
    fn a_cut_series_is_an_error_not_a_short_one() {
        let bytes = encoded(&[WireRow { ts: 1 << 40, value: Some(1.0), scored: Scored::WARMUP }]);
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(decode(&[]).unwrap(), vec![]);
        assert!(decode(&[0b10, 0, 0]).is_err(), "a repeat of nothing");
    }
}
