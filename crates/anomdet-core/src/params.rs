//! Typed detector parameters parsed from JSON, with ranges and errors that name the parameter.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The type of one parameter, as shown by `anomdet.detectors()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    Int,
    Float,
    Bool,
    /// One of these words; stored as its index.
    Choice(&'static [&'static str]),
    /// A list of other detectors, each a name or `{"detector": name, "params": {...}}`; these
    /// names are the default. Kept in [`Params::members`], checked by the detector registry.
    Detectors(&'static [&'static str]),
}

impl ParamKind {
    pub fn sql_name(self) -> &'static str {
        match self {
            ParamKind::Int => "integer",
            ParamKind::Float => "float",
            ParamKind::Bool => "boolean",
            ParamKind::Choice(_) => "text",
            ParamKind::Detectors(_) => "detector list",
        }
    }
}

/// One end of an allowed range.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub value: f64,
    pub inclusive: bool,
}

impl Bound {
    pub const fn incl(value: f64) -> Self {
        Bound { value, inclusive: true }
    }
    pub const fn excl(value: f64) -> Self {
        Bound { value, inclusive: false }
    }
}

/// The declaration of one parameter of a detector.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: f64,
    pub min: Bound,
    pub max: Bound,
    pub description: &'static str,
}

impl ParamSpec {
    pub const fn float(name: &'static str, default: f64, min: Bound, max: Bound, description: &'static str) -> Self {
        ParamSpec { name, kind: ParamKind::Float, default, min, max, description }
    }

    pub const fn int(name: &'static str, default: f64, min: f64, max: f64, description: &'static str) -> Self {
        ParamSpec { name, kind: ParamKind::Int, default, min: Bound::incl(min), max: Bound::incl(max), description }
    }

    pub const fn flag(name: &'static str, default: bool, description: &'static str) -> Self {
        let default = if default { 1.0 } else { 0.0 };
        ParamSpec { name, kind: ParamKind::Bool, default, min: Bound::incl(0.0), max: Bound::incl(1.0), description }
    }

    pub const fn choice(
        name: &'static str,
        options: &'static [&'static str],
        default: usize,
        description: &'static str,
    ) -> Self {
        let last = options.len() as f64 - 1.0;
        let kind = ParamKind::Choice(options);
        ParamSpec { name, kind, default: default as f64, min: Bound::incl(0.0), max: Bound::incl(last), description }
    }

    pub const fn detectors(name: &'static str, default: &'static [&'static str], description: &'static str) -> Self {
        let kind = ParamKind::Detectors(default);
        ParamSpec { name, kind, default: f64::NAN, min: Bound::incl(1.0), max: Bound::incl(32.0), description }
    }

    /// The allowed range in interval notation, e.g. `(0, 1]` or `[2, 100000]`.
    pub fn range_text(&self) -> String {
        match self.kind {
            ParamKind::Choice(options) => return format!("one of {}", options.join(", ")),
            ParamKind::Detectors(_) => {
                return format!("{} to {} detectors", fmt_num(self.min.value), fmt_num(self.max.value));
            }
            _ => {}
        }
        let lo = if self.min.inclusive { '[' } else { '(' };
        let hi = if self.max.inclusive { ']' } else { ')' };
        format!("{lo}{}, {}{hi}", fmt_num(self.min.value), fmt_num(self.max.value))
    }

    pub fn default_json(&self) -> Value {
        if let ParamKind::Detectors(names) = self.kind {
            return Value::from(names.to_vec());
        }
        if self.default.is_nan() {
            return Value::Null; // "not set": the method documents what it does instead
        }
        match self.kind {
            ParamKind::Int => Value::from(self.default as i64),
            ParamKind::Float => Value::from(self.default),
            ParamKind::Bool => Value::from(self.default != 0.0),
            ParamKind::Choice(options) => Value::from(options[self.default as usize]),
            ParamKind::Detectors(_) => unreachable!("returned above"),
        }
    }

    fn admits(&self, v: f64) -> bool {
        let above = if self.min.inclusive { v >= self.min.value } else { v > self.min.value };
        let below = if self.max.inclusive { v <= self.max.value } else { v < self.max.value };
        above && below
    }
}

fn fmt_num(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Why a parameter object was refused; every variant names the parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("detector parameters must be a JSON object, got {0}")]
    NotAnObject(String),
    #[error("unknown parameter \"{name}\" for {detector}")]
    Unknown { detector: String, name: String, valid: Vec<String> },
    #[error("parameter \"{name}\" must be {expected}, got {got}")]
    WrongType { name: String, expected: String, got: String },
    #[error("parameter \"{name}\" is {value}, outside its allowed range {range}")]
    OutOfRange { name: String, value: String, range: String },
    #[error("parameter \"{name}\": member {index} is {problem}")]
    BadMember { name: String, index: usize, problem: String, valid: Vec<String> },
    #[error("parameter \"{name}\": member {index} ({detector}): {source}")]
    InMember { name: String, index: usize, detector: String, source: Box<ParamError> },
}

/// One member of a detector list, as given (its parameters are checked by the registry).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub detector: String,
    pub params: Option<Value>,
}

/// A parameter every detector accepts: flag rows whose calibrated anomaly probability
/// (`crate::calibration`) is at least this, instead of by the detector's own rule.
pub const PROBABILITY: ParamSpec = ParamSpec::float(
    "probability",
    f64::NAN,
    Bound::excl(0.0),
    Bound::excl(1.0),
    "flag rows whose calibrated anomaly probability is at least this (e.g. 0.999: one ordinary row in a thousand), instead of by the detector's own threshold",
);

/// Validated parameter values: every declared parameter is present (default or given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    values: BTreeMap<&'static str, f64>,
    members: Vec<Member>,
}

impl Params {
    /// Parse `json` against `specs`; `None` or `{}` gives all defaults.
    pub fn parse(detector: &str, specs: &[ParamSpec], json: Option<&Value>) -> Result<Params, ParamError> {
        Params::parse_with(detector, specs, &[], json)
    }

    /// [`Params::parse`], also accepting the optional parameters `extra` (no default value).
    pub fn parse_with(
        detector: &str,
        specs: &[ParamSpec],
        extra: &[ParamSpec],
        json: Option<&Value>,
    ) -> Result<Params, ParamError> {
        let mut params = Params::defaults(specs);
        let object = match json {
            None | Some(Value::Null) => return Ok(params),
            Some(Value::Object(map)) => map,
            Some(other) => return Err(ParamError::NotAnObject(json_kind(other).into())),
        };
        for (key, raw) in object {
            let spec = specs.iter().chain(extra).find(|s| s.name == key).ok_or_else(|| ParamError::Unknown {
                detector: detector.to_string(),
                name: key.clone(),
                valid: specs.iter().chain(extra).map(|s| s.name.to_string()).collect(),
            })?;
            if let ParamKind::Detectors(_) = spec.kind {
                params.members = parse_members(spec, raw)?;
                continue;
            }
            let value = coerce(spec, raw)?;
            if !spec.admits(value) {
                return Err(ParamError::OutOfRange {
                    name: key.clone(),
                    value: raw.to_string(),
                    range: spec.range_text(),
                });
            }
            params.values.insert(spec.name, value);
        }
        Ok(params)
    }

    /// Defaults only (for listing and tests).
    pub fn defaults(specs: &[ParamSpec]) -> Params {
        let mut members = Vec::new();
        for spec in specs {
            if let ParamKind::Detectors(names) = spec.kind {
                members = names.iter().map(|n| Member { detector: n.to_string(), params: None }).collect();
            }
        }
        Params { values: specs.iter().map(|s| (s.name, s.default)).collect(), members }
    }

    /// The detector list of a detector that combines others (empty for every other detector).
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn float(&self, name: &str) -> f64 {
        *self.values.get(name).unwrap_or_else(|| panic!("parameter {name} is not declared"))
    }

    pub fn int(&self, name: &str) -> usize {
        self.float(name) as usize
    }

    /// The value of a parameter the detector may not declare.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    pub fn flag(&self, name: &str) -> bool {
        self.float(name) != 0.0
    }

    /// The values as a JSON object (what a job records as its effective parameters).
    pub fn to_json(&self, specs: &[ParamSpec]) -> Value {
        let mut map = serde_json::Map::new();
        for spec in specs {
            let v = self.float(spec.name);
            let json = match spec.kind {
                ParamKind::Int => Value::from(v as i64),
                ParamKind::Float if v.is_nan() => Value::Null,
                ParamKind::Float => Value::from(v),
                ParamKind::Bool => Value::from(v != 0.0),
                ParamKind::Choice(options) => Value::from(options[v as usize]),
                ParamKind::Detectors(_) => Value::Array(
                    self.members
                        .iter()
                        .map(|m| {
                            let params = m.params.clone().unwrap_or_else(|| Value::Object(Default::default()));
                            serde_json::json!({"detector": m.detector, "params": params})
                        })
                        .collect(),
                ),
            };
            map.insert(spec.name.to_string(), json);
        }
        if let Some(p) = self.flag_probability() {
            map.insert(PROBABILITY.name.to_string(), Value::from(p));
        }
        Value::Object(map)
    }

    /// The probability to flag at, when the parameters ask for flags by probability.
    pub fn flag_probability(&self) -> Option<f64> {
        self.get(PROBABILITY.name).filter(|p| !p.is_nan())
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn coerce(spec: &ParamSpec, raw: &Value) -> Result<f64, ParamError> {
    let wrong = |expected: &str| ParamError::WrongType {
        name: spec.name.to_string(),
        expected: expected.to_string(),
        got: format!("{} ({raw})", json_kind(raw)),
    };
    match spec.kind {
        ParamKind::Bool => raw.as_bool().map(|b| if b { 1.0 } else { 0.0 }).ok_or_else(|| wrong("a boolean")),
        ParamKind::Int => {
            if let Some(i) = raw.as_i64() {
                Ok(i as f64)
            } else if let Some(f) = raw.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                Ok(f)
            } else if raw.is_u64() {
                // Larger than i64: certainly outside every declared range.
                Err(ParamError::OutOfRange { name: spec.name.into(), value: raw.to_string(), range: spec.range_text() })
            } else {
                Err(wrong("an integer"))
            }
        }
        ParamKind::Float => raw.as_f64().ok_or_else(|| wrong("a number")),
        ParamKind::Choice(options) => {
            let expected = format!("one of {}", options.join(", "));
            let word = raw.as_str().ok_or_else(|| wrong(&expected))?;
            options.iter().position(|o| *o == word).map(|i| i as f64).ok_or_else(|| ParamError::OutOfRange {
                name: spec.name.into(),
                value: raw.to_string(),
                range: spec.range_text(),
            })
        }
        ParamKind::Detectors(_) => unreachable!("detector lists are parsed by parse_members"),
    }
}

/// A detector list: a non-empty array of names or `{"detector": name, "params": {...}}` objects.
fn parse_members(spec: &ParamSpec, raw: &Value) -> Result<Vec<Member>, ParamError> {
    let expected = "an array of detector names or {\"detector\": name, \"params\": {...}} objects";
    let wrong = || ParamError::WrongType {
        name: spec.name.to_string(),
        expected: expected.to_string(),
        got: format!("{} ({raw})", json_kind(raw)),
    };
    let items = raw.as_array().ok_or_else(wrong)?;
    if !spec.admits(items.len() as f64) {
        let value = format!("a list of {}", items.len());
        return Err(ParamError::OutOfRange { name: spec.name.into(), value, range: spec.range_text() });
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad = |problem: String| ParamError::BadMember {
                name: spec.name.into(),
                index: i + 1,
                problem,
                valid: Vec::new(),
            };
            match item {
                Value::String(name) => Ok(Member { detector: name.clone(), params: None }),
                Value::Object(map) => {
                    if let Some(extra) = map.keys().find(|k| *k != "detector" && *k != "params") {
                        return Err(bad(format!("an object with an unknown key \"{extra}\"")));
                    }
                    let name = map.get("detector").and_then(Value::as_str);
                    let name = name.ok_or_else(|| bad("an object without a \"detector\" name".into()))?;
                    Ok(Member { detector: name.to_string(), params: map.get("params").cloned() })
                }
                other => Err(bad(format!("{} ({other}), not a name or an object", json_kind(other)))),
            }
        })
        .collect()
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "window",
            kind: ParamKind::Int,
            default: 60.0,
            min: Bound::incl(3.0),
            max: Bound::incl(1e5),
            description: "w",
        },
        ParamSpec {
            name: "lambda",
            kind: ParamKind::Float,
            default: 0.3,
            min: Bound::excl(0.0),
            max: Bound::incl(1.0),
            description: "l",
        },
    ];

    #[test]
    fn defaults_fill_missing_values() {
        let p = Params::parse("d", SPECS, Some(&json!({"window": 10}))).unwrap();
        assert_eq!(p.int("window"), 10);
        assert_eq!(p.float("lambda"), 0.3);
    }

    #[test]
    fn unknown_parameter_lists_valid_names() {
        let e = Params::parse("d", SPECS, Some(&json!({"windw": 10}))).unwrap_err();
        match e {
            ParamError::Unknown { name, valid, .. } => {
                assert_eq!(name, "windw");
                assert_eq!(valid, vec!["window", "lambda"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ranges_respect_open_and_closed_ends() {
        assert!(Params::parse("d", SPECS, Some(&json!({"lambda": 0.0}))).is_err());
        assert!(Params::parse("d", SPECS, Some(&json!({"lambda": 1.0}))).is_ok());
        let e = Params::parse("d", SPECS, Some(&json!({"window": 2}))).unwrap_err();
        assert_eq!(e.to_string(), "parameter \"window\" is 2, outside its allowed range [3, 100000]");
    }

    #[test]
    fn types_are_checked() {
        assert!(matches!(Params::parse("d", SPECS, Some(&json!({"window": 2.5}))), Err(ParamError::WrongType { .. })));
        assert!(matches!(Params::parse("d", SPECS, Some(&json!({"window": "10"}))), Err(ParamError::WrongType { .. })));
        assert!(Params::parse("d", SPECS, Some(&json!({"window": 10.0}))).is_ok());
        assert!(matches!(Params::parse("d", SPECS, Some(&json!([1]))), Err(ParamError::NotAnObject(_))));
        assert!(matches!(
            Params::parse("d", SPECS, Some(&json!({"window": 18446744073709551615u64}))),
            Err(ParamError::OutOfRange { .. })
        ));
    }
}
