//! Timestamps (PostgreSQL's microseconds since 2000-01-01 UTC) as text that does not depend on
//! the session's DateStyle or TimeZone: for the catalog, and for constants in generated SQL.

/// ISO 8601 in UTC, whatever the session's DateStyle: for values stored in the catalog.
pub fn iso_utc(ts: i64) -> String {
    match ts {
        i64::MAX => return "infinity".into(),
        i64::MIN => return "-infinity".into(),
        _ => {}
    }
    let (date, time) = civil_parts(ts);
    format!("{}T{time}Z", date.0)
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC and whether the year is BC (PostgreSQL's own
/// reading of a year ≤ 0: year 0 is 1 BC), for a timestamptz literal that holds every value.
fn civil_utc(ts: i64) -> (String, bool) {
    let ((_, year, rest), time) = civil_parts(ts);
    let bc = year <= 0;
    (format!("{:04}{rest} {time}", if bc { 1 - year } else { year }), bc)
}

/// ((ISO date with the proleptic year, the year, "-MM-DD"), "HH:MM:SS[.ffffff]").
fn civil_parts(ts: i64) -> ((String, i64, String), String) {
    const DAY: i64 = 86_400_000_000;
    let days = ts.div_euclid(DAY) + 10_957; // 2000-01-01 is day 10957 of the Unix epoch
    let micros = ts.rem_euclid(DAY);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let mut time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        time.push_str(&format!(".{frac:06}"));
    }
    let rest = format!("-{month:02}-{day:02}");
    ((format!("{year:04}{rest}"), year, rest), time)
}

/// A timestamptz constant for `ts` (microseconds since 2000-01-01 UTC), exact for every value
/// PostgreSQL can hold, BC dates and ±infinity included.
pub fn sql_literal(ts: i64) -> String {
    match ts {
        i64::MAX => "'infinity'::pg_catalog.timestamptz".into(),
        i64::MIN => "'-infinity'::pg_catalog.timestamptz".into(),
        _ => {
            let (text, bc) = civil_utc(ts);
            format!("'{text}+00{}'::pg_catalog.timestamptz", if bc { " BC" } else { "" })
        }
    }
}

/// A timestamp as the session shows it (its DateStyle and TimeZone): for messages to the user.
pub fn format_ts(ts: i64) -> String {
    pgrx::datum::TimestampWithTimeZone::try_from(ts).map(|t| t.to_string()).unwrap_or_else(|_| ts.to_string())
}
