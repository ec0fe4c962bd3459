//! What changed in a configured object, for its audit entry.
//!
//! A use case describes the object before and after as flat-ish JSON objects (one key per form
//! field) and records only the difference: `{"field": {"old": …, "new": …}}`. Nested objects are
//! compared key by key and named with dotted paths (`opening_hours.mon`), so changing one
//! weekday's hours records that weekday only; arrays and scalars are compared whole. A key that
//! one side lacks counts as `null` there, which is how a creation (`old` is nothing) and a
//! removal (`new` is nothing) read.
//!
//! ```
//! use serde_json::json;
//! use skranke_core::change::Changes;
//!
//! let old = json!({ "name": "Pas", "rules": { "duration": 15, "capacity": 2 } });
//! let new = json!({ "name": "Pas", "rules": { "duration": 20, "capacity": 2 } });
//! let c = Changes::between(&old, &new);
//! assert_eq!(c.into_value(), json!({ "rules.duration": { "old": 15, "new": 20 } }));
//! assert!(Changes::between(&old, &old).is_empty());
//! ```

use serde_json::{Map, Value};

/// The fields that differ between two versions of an object, by dotted path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// The differences from `old` to `new`. Anything but a JSON object counts as an empty one.
    pub fn between(old: &Value, new: &Value) -> Self {
        let mut out = Map::new();
        diff("", as_object(old), as_object(new), &mut out);
        Self(out)
    }

    /// A new object: every field, from `null`.
    pub fn created(new: &Value) -> Self {
        Self::between(&Value::Null, new)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `old` and `new` values recorded for `path`, if it changed.
    pub fn get(&self, path: &str) -> Option<(&Value, &Value)> {
        let entry = self.0.get(path)?;
        Some((entry.get("old")?, entry.get("new")?))
    }

    /// The changed paths, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `{"path": {"old": …, "new": …}, …}`, for an audit detail.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

fn as_object(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn diff(
    prefix: &str,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
    out: &mut Map<String, Value>,
) {
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let keys = old.keys().chain(new.keys().filter(|k| !old.contains_key(*k)));
    for key in keys {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let (o, n) = (old.get(key).unwrap_or(&Value::Null), new.get(key).unwrap_or(&Value::Null));
        if o == n {
            continue;
        }
        // Recurse only when both sides are objects: an object that appears or disappears as a
        // whole is one change, not one per key.
        if let (Value::Object(oo), Value::Object(nn)) = (o, n) {
            diff(&path, Some(oo), Some(nn), out);
        } else {
            let mut entry = Map::new();
            entry.insert("old".to_owned(), o.clone());
            entry.insert("new".to_owned(), n.clone());
            out.insert(path, Value::Object(entry));
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn check(old: Value, new: Value, want: Value) {
        assert_eq!(Changes::between(&old, &new).into_value(), want, "{old} → {new}");
    }

    #[test]
    fn only_what_differs() {
        check(
            json!({ "a": 1, "b": "x", "c": [1, 2] }),
            json!({ "a": 1, "b": "y", "c": [1, 2, 3] }),
            json!({ "b": { "old": "x", "new": "y" }, "c": { "old": [1, 2], "new": [1, 2, 3] } }),
        );
        check(json!({ "a": 1 }), json!({ "a": 1 }), json!({}));
    }

    #[test]
    fn missing_keys_are_null_on_that_side() {
        check(
            json!({ "a": 1 }),
            json!({ "b": 2 }),
            json!({ "a": { "old": 1, "new": null }, "b": { "old": null, "new": 2 } }),
        );
        // `null` and absent are the same value, so no change.
        check(json!({ "a": null }), json!({}), json!({}));
    }

    #[test]
    fn nested_objects_name_the_changed_key() {
        check(
            json!({ "hours": { "mon": "09:00-15:00", "tue": "" } }),
            json!({ "hours": { "mon": "09:00-15:00", "tue": "10:00-12:00" } }),
            json!({ "hours.tue": { "old": "", "new": "10:00-12:00" } }),
        );
        // An object replacing a scalar is one change.
        check(json!({ "x": 1 }), json!({ "x": { "y": 2 } }), json!({ "x": { "old": 1, "new": { "y": 2 } } }));
    }

    #[test]
    fn created_lists_every_field() {
        let c = Changes::created(&json!({ "name": "Pas", "rules": { "capacity": 2 } }));
        assert_eq!(c.paths().collect::<Vec<_>>(), ["name", "rules"], "an object that appears is one change");
        assert_eq!(c.get("name"), Some((&Value::Null, &json!("Pas"))));
        assert!(Changes::created(&json!("not an object")).is_empty());
    }

    fn small_object() -> impl Strategy<Value = Value> {
        let leaf =
            prop_oneof![Just(Value::Null), any::<i64>().prop_map(Value::from), "[a-c]{0,2}".prop_map(Value::from)];
        let nested = prop::collection::btree_map("[a-c]", leaf.clone(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect()));
        prop::collection::btree_map("[a-d]", prop_oneof![leaf, nested], 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        #[test]
        fn no_change_is_empty_and_every_change_is_real(a in small_object(), b in small_object()) {
            prop_assert!(Changes::between(&a, &a).is_empty());
            let c = Changes::between(&a, &b);
            prop_assert_eq!(c.is_empty(), a == b || normalised(&a) == normalised(&b));
            for path in c.paths() {
                let (o, n) = c.get(path).unwrap();
                prop_assert_ne!(o, n);
            }
            // Swapping the sides swaps old and new.
            let back = Changes::between(&b, &a);
            let sorted = |c: &Changes| { let mut p: Vec<String> = c.paths().map(str::to_owned).collect(); p.sort(); p };
            prop_assert_eq!(sorted(&back), sorted(&c));
            for path in c.paths() {
                let (o, n) = c.get(path).unwrap();
                prop_assert_eq!(back.get(path), Some((n, o)));
            }
        }
    }

    /// Drops `null` members (absent and `null` are the same to a diff).
    fn normalised(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), normalised(v))).collect())
            }
            other => other.clone(),
        }
    }
}
