use super::*;
use serde_json::json;

/// What `read` gives for the "test" options `value`, or its message.
fn run<T>(
    value: Value,
    read: impl FnOnce(&mut Reader<'_>) -> Result<T, OptionsError>,
) -> Result<T, String> {
    Reader::root("test", &value, read).map_err(|e| e.0)
}

#[test]
fn getters_read_typed_values_and_null_is_absent() {
    let v = json!({ "b": true, "n": 7, "f": 1.5, "s": "x", "one": "a", "many": ["a", "b"],
                    "c": "two", "t": { "Hi": "Hallo" }, "gone": null });
    let got = run(v, |r| {
        Ok((
            (r.bool("b")?, r.flag("absent", true)?, r.flag("gone", true)?),
            (
                r.whole("n", 1, 7, "")?,
                r.number("f")?,
                r.string("s")?.map(str::to_owned),
            ),
            (
                r.strings("one")?.map(|l| l.join(",")),
                r.strings("many")?.map(|l| l.join(",")),
                r.choice("c", &["one", "two"])?,
            ),
            (r.text_pairs("t")?, r.get("gone").cloned()),
        ))
    })
    .unwrap();
    assert_eq!(got.0, (Some(true), true, true));
    assert_eq!(got.1, (Some(7), Some(1.5), Some("x".into())));
    assert_eq!(got.2, (Some("a".into()), Some("a,b".into()), Some(1)));
    assert_eq!(got.3, (Some(vec![("Hi".into(), "Hallo".into())]), None));
    assert_eq!(run(Value::Null, |r| r.whole("n", 0, 1, "")), Ok(None));
}

#[test]
fn each_bad_value_has_its_message() {
    type Read = fn(&mut Reader<'_>) -> Result<(), OptionsError>;
    let cases: [(Value, Read, &str); 12] = [
        (
            json!({ "k": 1 }),
            |r| r.bool("k").map(drop),
            "Invalid test option `k`: must be true or false; got 1",
        ),
        (
            json!({ "k": 0 }),
            |r| r.whole("k", 1, 9, "").map(drop),
            "Invalid test option `k`: must be a whole number, 1 to 9; got 0",
        ),
        (
            json!({ "k": 2.5 }),
            |r| r.whole("k", 1, u64::MAX, "bytes").map(drop),
            "Invalid test option `k`: must be a whole number of bytes, at least 1; got 2 and a fraction",
        ),
        (
            json!({ "k": [] }),
            |r| r.whole("k", 0, 9, "ms").map(drop),
            "Invalid test option `k`: must be a whole number of ms, 0 to 9; got a list",
        ),
        (
            json!({ "k": {} }),
            |r| r.number("k").map(drop),
            "Invalid test option `k`: must be a number; got an object",
        ),
        (
            json!({ "k": false }),
            |r| r.string("k").map(drop),
            "Invalid test option `k`: must be a string; got false",
        ),
        (
            json!({ "k": 3 }),
            |r| r.strings("k").map(drop),
            "Invalid test option `k`: must be a string or a list of strings; got 3",
        ),
        (
            json!({ "k": ["a", null] }),
            |r| r.strings("k").map(drop),
            "Invalid test option `k`: entry 1 must be a string; got null",
        ),
        (
            json!({ "k": "c" }),
            |r| r.choice("k", &["a", "b"]).map(drop),
            "Invalid test option `k`: must be \"a\" or \"b\"; got \"c\"",
        ),
        (
            json!({ "k": "x".repeat(50) }),
            |r| r.choice("k", &["a"]).map(drop),
            "Invalid test option `k`: must be \"a\"; got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\"",
        ),
        (
            json!({ "k": { "a": [] } }),
            |r| r.text_pairs("k").map(drop),
            "Invalid test option `k`: the text for \"a\" must be a string; got a list",
        ),
        (
            json!({ "k": true }),
            |r| r.nested("k", |_| Ok(())),
            "Invalid test option `k`: must be an object; got true",
        ),
    ];
    for (v, read, want) in cases {
        assert_eq!(run(v.clone(), read), Err(want.to_owned()), "{v}");
    }
}

#[test]
fn nested_objects_name_the_full_path() {
    let read =
        |r: &mut Reader<'_>| r.nested("outer", |o| o.nested("inner", |i| i.flag("deep", false)));
    assert_eq!(
        run(json!({ "outer": { "inner": { "deep": true } } }), read),
        Ok(true)
    );
    assert_eq!(
        run(json!({ "outer": {} }), read),
        Ok(false),
        "absent: defaults"
    );
    assert_eq!(
        run(json!({ "outer": { "inner": { "deep": 1 } } }), read),
        Err("Invalid test option `outer.inner.deep`: must be true or false; got 1".into())
    );
    assert_eq!(
        run(json!({ "outer": { "inner": { "deap": true } } }), read),
        Err("Unknown test option `outer.inner.deap`; did you mean `deep`?".into())
    );
    assert_eq!(
        run(json!({ "outer": { "inner": {}, "side": 1 } }), read),
        Err("Unknown test option `outer.side`; valid keys: inner".into())
    );
    assert_eq!(
        run(json!({ "outer": { "inner": 1 } }), read),
        Err("Invalid test option `outer.inner`: must be an object; got 1".into())
    );
}

#[test]
fn unknown_keys_are_the_ones_not_read() {
    let few = |r: &mut Reader<'_>| {
        r.skip("legacy");
        r.bool("enabled").map(drop)
    };
    assert_eq!(run(json!({ "legacy": 1, "enabled": null }), few), Ok(()));
    assert_eq!(
        run(json!({ "Enabled": true }), few),
        Err("Unknown test option `Enabled`; did you mean `enabled`?".into())
    );
    assert_eq!(
        run(json!({ "colour": true }), few),
        Err("Unknown test option `colour`; valid keys: legacy, enabled".into())
    );
    let many = |r: &mut Reader<'_>| {
        for k in ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"] {
            r.skip(k);
        }
        Ok(())
    };
    assert_eq!(
        run(json!({ "colour": true }), many),
        Err("Unknown test option `colour`".into()),
        "too many keys to list"
    );
    let unsupported = |r: &mut Reader<'_>| r.unsupported(&["later"]);
    assert_eq!(
        run(json!({ "later": false }), unsupported),
        Err("The test option `later` is not supported by Skiff yet".into())
    );
    assert_eq!(
        run(json!(5), few),
        Err("Invalid test options: must be an object; got 5".into())
    );
}

#[test]
fn misspellings_are_close_in_letters() {
    for (key, known, want) in [
        ("partsize", "partSize", Some(0)),
        ("basURL", "baseUrl", Some(1)),
        ("contaner", "container", Some(1)),
        ("lng", "lang", Some(1)),
        ("lg", "lang", None),
        ("colour", "concurrency", None),
        ("maxfiles", "minFiles", Some(2)),
    ] {
        assert_eq!(misspelling(key, known), want, "{key} / {known}");
    }
}

#[test]
fn values_in_messages() {
    for (v, want) in [
        (json!(null), "null"),
        (json!(-3), "-3"),
        (json!(u64::MAX), "18446744073709551615"),
        (json!(1e300), "a very large number"),
        (json!(0.25), "0 and a fraction"),
        (json!("é"), "\"é\""),
    ] {
        assert_eq!(shown(&v), want, "{v}");
    }
    assert_eq!(one_of(&["a"]), "\"a\"");
    assert_eq!(one_of(&["a", "b", "c"]), "\"a\", \"b\" or \"c\"");
}
