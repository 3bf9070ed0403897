//! Scored rows as bytes, for sending a series scored on one server to another (a Citus worker
//! to its coordinator): per row a byte of flags (which optional cells are present, and the
//! flag's value), the timestamp, then the present cells, little-endian. About 25 bytes a row
//! where a text form would take over 100.

use crate::scored::Scored;

/// One scored row: its time (any i64 clock), its value, and what the detector said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WireRow {
    pub ts: i64,
    pub value: Option<f64>,
    pub scored: Scored,
}

const VALUE: u8 = 1;
const SCORE: u8 = 2;
const PROBABILITY: u8 = 4;
const EXPECTED: u8 = 8;
const LOWER: u8 = 16;
const UPPER: u8 = 32;
const FLAGGED: u8 = 64;
const ANOMALY: u8 = 128;

fn cells(r: &WireRow) -> [(u8, Option<f64>); 6] {
    let s = r.scored;
    [
        (VALUE, r.value),
        (SCORE, s.score),
        (PROBABILITY, s.probability),
        (EXPECTED, s.expected),
        (LOWER, s.lower),
        (UPPER, s.upper),
    ]
}

/// Appends one row to `out`.
pub fn encode(r: &WireRow, out: &mut Vec<u8>) {
    let mut flags = 0u8;
    for (bit, cell) in cells(r) {
        if cell.is_some() {
            flags |= bit;
        }
    }
    if let Some(a) = r.scored.is_anomaly {
        flags |= FLAGGED | if a { ANOMALY } else { 0 };
    }
    out.push(flags);
    out.extend_from_slice(&r.ts.to_le_bytes());
    for (_, cell) in cells(r) {
        if let Some(x) = cell {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}

fn take8(bytes: &mut &[u8]) -> Result<[u8; 8], String> {
    let (head, rest) = bytes.split_first_chunk::<8>().ok_or("a scored row is cut short")?;
    *bytes = rest;
    Ok(*head)
}

/// Every row of `bytes`, or what is wrong with them.
pub fn decode(mut bytes: &[u8]) -> Result<Vec<WireRow>, String> {
    let mut rows = Vec::new();
    while let Some((&flags, rest)) = bytes.split_first() {
        bytes = rest;
        let ts = i64::from_le_bytes(take8(&mut bytes)?);
        let mut cell = |bit: u8| -> Result<Option<f64>, String> {
            if flags & bit == 0 { Ok(None) } else { Ok(Some(f64::from_le_bytes(take8(&mut bytes)?))) }
        };
        let value = cell(VALUE)?;
        let scored = Scored {
            score: cell(SCORE)?,
            probability: cell(PROBABILITY)?,
            expected: cell(EXPECTED)?,
            lower: cell(LOWER)?,
            upper: cell(UPPER)?,
            is_anomaly: (flags & FLAGGED != 0).then_some(flags & ANOMALY != 0),
        };
        rows.push(WireRow { ts, value, scored });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_the_trip_cell_for_cell() {
        let rows = vec![
            WireRow { ts: -5, value: None, scored: Scored::WARMUP },
            WireRow {
                ts: 1_000_000,
                value: Some(2.5),
                scored: Scored {
                    score: Some(7.0),
                    is_anomaly: Some(true),
                    expected: Some(1.0),
                    lower: None,
                    upper: Some(3.0),
                    probability: Some(0.999),
                },
            },
            WireRow { ts: i64::MAX, value: Some(-0.0), scored: Scored { is_anomaly: Some(false), ..Scored::WARMUP } },
            WireRow { ts: 0, value: Some(f64::MIN_POSITIVE), scored: Scored::unbounded(f64::MAX, false, None) },
        ];
        let mut bytes = Vec::new();
        rows.iter().for_each(|r| encode(r, &mut bytes));
        let back = decode(&bytes).unwrap();
        assert_eq!(rows, back);
        assert!(back[2].value.unwrap().is_sign_negative(), "-0.0 keeps its sign");
        assert_eq!(bytes.len(), 9 + (9 + 5 * 8) + (9 + 8) + (9 + 2 * 8));
    }

    #[test]
    fn a_cut_series_is_an_error_not_a_short_one() {
        let mut bytes = Vec::new();
        encode(&WireRow { ts: 1, value: Some(1.0), scored: Scored::WARMUP }, &mut bytes);
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(decode(&[]).unwrap(), vec![]);
    }
}
