//! Dates and times as the document stores them: RFC 3339 instants and `YYYY-MM-DD` days.
//! Parsing is strict; the clock itself is the caller's (the model reads no clock).

use crate::ModelError;

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixSeconds = i64;

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parse_ymd(s: &str) -> Option<(i64, u32, u32)> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (i64::from(digits(y)?), digits(m)?, digits(d)?);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

/// Parses a calendar day `YYYY-MM-DD` into days since the epoch.
pub fn parse_date(field: &'static str, s: &str) -> Result<i64, ModelError> {
    parse_ymd(s)
        .map(|(y, m, d)| days_from_civil(y, m, d))
        .ok_or_else(|| ModelError::BadDate {
            field,
            value: s.to_owned(),
            expected: "date (YYYY-MM-DD)",
        })
}

/// Parses an RFC 3339 date-time (`2025-12-20T14:00:00Z`, fractions and offsets allowed).
pub fn parse_instant(field: &'static str, s: &str) -> Result<UnixSeconds, ModelError> {
    let bad = || ModelError::BadDate {
        field,
        value: s.to_owned(),
        expected: "date and time (RFC 3339, e.g. 2025-12-20T14:00:00Z)",
    };
    // Every valid form is ASCII; checking first keeps the byte offsets below on char
    // boundaries whatever a peer wrote.
    if !s.is_ascii() || s.len() > 64 {
        return Err(bad());
    }
    let (date, rest) = s.split_once(['T', 't']).ok_or_else(bad)?;
    let (y, mo, d) = parse_ymd(date).ok_or_else(bad)?;
    if rest.len() < 9 {
        return Err(bad());
    }
    let (clock, zone) = rest.split_at(8);
    let hms: Vec<u32> = clock
        .split(':')
        .map(digits)
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    if hms.len() != 3 || clock.len() != 8 || hms[0] > 23 || hms[1] > 59 || hms[2] > 60 {
        return Err(bad());
    }
    let zone = match zone.strip_prefix('.') {
        Some(frac) => {
            let end = frac.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            if end == 0 {
                return Err(bad());
            }
            &frac[end..]
        }
        None => zone,
    };
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = match zone.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            let (h, m) = zone[1..].split_once(':').ok_or_else(bad)?;
            let (h, m) = (digits(h).ok_or_else(bad)?, digits(m).ok_or_else(bad)?);
            if zone.len() != 6 || h > 23 || m > 59 {
                return Err(bad());
            }
            sign * i64::from(h * 3600 + m * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400
        + i64::from(hms[0] * 3600 + hms[1] * 60 + hms[2].min(59));
    Ok(secs - offset)
}

/// Formats an instant as RFC 3339 UTC: `2025-12-20T14:00:00Z`.
pub fn format_instant(t: UnixSeconds) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Formats an instant as an iCalendar UTC date-time: `20251220T140000Z`.
pub fn format_ics(t: UnixSeconds) -> String {
    format_instant(t).replace(['-', ':'], "")
}

/// Today's date (`YYYY-MM-DD`) of an instant, in UTC.
pub fn date_of(t: UnixSeconds) -> String {
    format_instant(t)[..10].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_and_offsets_apply() {
        let t = parse_instant("start", "2025-12-20T14:00:00Z").unwrap();
        assert_eq!(format_instant(t), "2025-12-20T14:00:00Z");
        assert_eq!(
            parse_instant("start", "2025-12-20T15:00:00+01:00").unwrap(),
            t
        );
        assert_eq!(
            parse_instant("start", "2025-12-20T14:00:00.250Z").unwrap(),
            t
        );
        assert_eq!(format_ics(t), "20251220T140000Z");
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_instant(parse_instant("x", "2024-02-29T23:59:59Z").unwrap() + 1),
            "2024-03-01T00:00:00Z"
        );
    }

    #[test]
    fn bad_instants_and_dates_are_refused() {
        for bad in [
            "",
            "2025-12-20",
            "2025-12-20 14:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-12-20T24:00:00Z",
            "2025-12-20T14:00:00",
            "2025-12-20T14:00Z",
            "2025-12-20T14:00:00+1:00",
            "2025-12-20T14:00:00.Z",
            // Written by a peer: multibyte characters where byte offsets are taken.
            "2025-12-20T12:00:0é0Z",
            "2025-12-20T12:00:00é",
            "2025-12-20T12:00:00+é:00",
            "2025-12-20T12:00:00.1é",
            "2025-12-20Téééééééééé",
            "é025-12-20T12:00:00Z",
        ] {
            assert!(parse_instant("start", bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_date("due", "2026-01-17").unwrap(),
            parse_instant("d", "2026-01-17T00:00:00Z").unwrap() / 86_400
        );
        for bad in [
            "17/01/2026",
            "2026-1-17",
            "2026-02-30",
            "next week",
            "2026-01-17T00:00:00Z",
        ] {
            let err = parse_date("due", bad).unwrap_err();
            assert!(err.to_string().contains("not a valid date"), "{err}");
        }
    }
}
