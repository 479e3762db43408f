#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn canonical_json_sorts_keys_at_every_level() {
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":"é"}}"#).unwrap();
    assert_eq!(
        canonical_json(&a),
        r#"{"a":{"x":"é","y":[1,{"c":3,"d":2}]},"b":1}"#
    );
}

#[test]
fn the_hash_covers_every_field() {
    let base = AuditRecord {
        seq: 1,
        time: 2,
        kind: RecordKind::Entry,
        actor: "a".into(),
        action: "b".into(),
        subject: "c".into(),
        details: serde_json::json!({"k": "v"}),
        prev_hash: ZERO_HASH.into(),
        hash: String::new(),
        timestamp: None,
    };
    let h = base.compute_hash();
    let variants = [
        AuditRecord {
            seq: 2,
            ..base.clone()
        },
        AuditRecord {
            time: 3,
            ..base.clone()
        },
        AuditRecord {
            kind: RecordKind::Checkpoint,
            ..base.clone()
        },
        AuditRecord {
            actor: "ab".into(),
            action: String::new(),
            ..base.clone()
        },
        AuditRecord {
            subject: "d".into(),
            ..base.clone()
        },
        AuditRecord {
            details: serde_json::json!({"k": "w"}),
            ..base.clone()
        },
        AuditRecord {
            prev_hash: "1".repeat(64),
            ..base
        },
    ];
    for v in variants {
        assert_ne!(v.compute_hash(), h, "{v:?}");
    }
}
