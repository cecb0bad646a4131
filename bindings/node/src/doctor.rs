//! The delivery doctor: the core's `diagnose_json` and `render_text` over JSON text (the
//! JavaScript layer in `oneinbox.js` converts arguments and results).

use napi_derive::napi;
use oneinbox_webhooks::doctor;
use oneinbox_webhooks::{Issue, IssueCode};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// The result of `doctorDiagnose`: the diagnosis's compact JSON, or the issues of the input.
#[napi(object, js_name = "NativeDiagnosed")]
pub struct NativeDiagnosed {
    /// The diagnosis's JSON form (compact), when the input was read.
    pub json: Option<String>,
    /// What is wrong with the input (empty when `json` is set).
    pub issues: Vec<NativeIssue>,
}

/// Diagnoses `{"webhooks": [...], "deliveries": [...], "calls": [...] | null}` given as JSON
/// text.
#[napi(js_name = "doctorDiagnose")]
pub fn doctor_diagnose(input_json: String) -> napi::Result<NativeDiagnosed> {
    guard(|| {
        let read = serde_json::from_str(&input_json).map_err(|e| {
            oneinbox_webhooks::ValidationError::new(vec![Issue::new(
                IssueCode::InvalidJson,
                "",
                format!("the doctor's input is not JSON: {e}"),
            )])
        });
        Ok(match read.and_then(doctor::diagnose_json) {
            Ok(d) => NativeDiagnosed {
                json: Some(serde_json::to_string(&d).unwrap_or_default()),
                issues: Vec::new(),
            },
            Err(e) => NativeDiagnosed {
                json: None,
                issues: issues_to_js(e.into_issues()),
            },
        })
    })
}

/// A diagnosis (its JSON form as text) rendered as `text` (the report for people) or `json`
/// (the `--json` output); `None` when the text is not a diagnosis.
#[napi(js_name = "doctorRender")]
pub fn doctor_render(diagnosis_json: String, format: String) -> napi::Result<Option<String>> {
    guard(|| {
        let Ok(d) = serde_json::from_str::<doctor::Diagnosis>(&diagnosis_json) else {
            return Ok(None);
        };
        Ok(Some(if format == "json" {
            d.to_json()
        } else {
            doctor::render_text(&d)
        }))
    })
}
