//! The human-readable form of a validation report.

use std::fmt::Write as _;

use cloudsign_core::validate::ValidationReport;

/// Renders `report` for a terminal.
pub(crate) fn render(report: &ValidationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} signature(s), {} revision(s), {} bytes",
        report.signatures.len(),
        report.revisions,
        report.file_size
    );
    for finding in &report.findings {
        let _ = writeln!(out, "  ! {finding}");
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "  warning: {warning}");
    }
    for (i, sig) in report.signatures.iter().enumerate() {
        let verdict = match sig.sub_indication {
            Some(sub) => format!("{:?} ({:?})", sig.indication, sub),
            None => format!("{:?}", sig.indication),
        };
        let what = match sig.kind {
            cloudsign_core::validate::SignatureKind::Signature => "Signature",
            cloudsign_core::validate::SignatureKind::DocumentTimestamp => "Document timestamp",
        };
        let _ = writeln!(
            out,
            "\n{what} {} in field {:?}: {}",
            i + 1,
            sig.field,
            verdict.to_uppercase()
        );
        if let Some(signer) = &sig.signer {
            let _ = writeln!(out, "  signer:     {}", signer.subject);
        }
        if let Some(level) = &sig.level {
            let _ = writeln!(out, "  level:      PAdES {level}");
        }
        let _ = writeln!(
            out,
            "  coverage:   {:?}, revision {}",
            sig.coverage,
            sig.revision.map_or("?".into(), |r| r.to_string())
        );
        let i = &sig.integrity;
        let _ = writeln!(
            out,
            "  integrity:  byte range {}, digest {}, signature {}",
            ok(i.byte_range_ok),
            ok(i.digest_ok),
            ok(i.signature_ok)
        );
        if !sig.chain.is_empty() {
            let names: Vec<&str> = sig.chain.iter().map(|c| c.subject.as_str()).collect();
            let _ = writeln!(out, "  chain:      {}", names.join(" <- "));
        }
        for ts in &sig.timestamps {
            let tsa = ts
                .tsa
                .as_ref()
                .map_or("unknown authority", |c| c.subject.as_str());
            let _ = writeln!(
                out,
                "  timestamp:  {} by {} ({:?})",
                ts.time.as_deref().unwrap_or("?"),
                tsa,
                ts.indication
            );
        }
        if let Some(t) = &sig.proven_time {
            let _ = writeln!(out, "  proven at:  {t}");
        }
        if let Some(t) = &sig.claimed_signing_time {
            let _ = writeln!(out, "  claimed at: {t} (not proof of time)");
        }
        let _ = writeln!(
            out,
            "  changes:    {:?} after signing ({} later revision(s))",
            sig.modifications.level, sig.modifications.later_revisions
        );
        for evidence in &sig.evidence {
            let _ = writeln!(out, "  evidence:   {evidence}");
        }
        for finding in &sig.findings {
            let _ = writeln!(out, "  - {finding}");
        }
    }
    out
}

fn ok(v: bool) -> &'static str {
    if v { "ok" } else { "FAILED" }
}
