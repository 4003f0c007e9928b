//! x509-limbo through the component: each SERVER testcase's trust anchors and revocation lists
//! go in through the trust import, its validation time through the wall clock, and its chain
//! and peer name through `context.verify-chain` — the handshake's own verifier.
//!
//! The bin `limbo-conformance` (`make conformance`) runs the whole suite and writes
//! `target/conformance/limbo-results.json`; `tests/e2e/limbo.rs` runs it in `make test`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::{Deserialize, Serialize};

use verified_https_host::{ClientInstance, ContextHandle, HostRevocationLists, HostTrust};

/// One x509-limbo testcase (the fields this runner uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Testcase {
    /// `namespace::name`.
    pub id: String,
    /// Feature tags, e.g. `has-crl`, `max-chain-depth`.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// `SERVER` or `CLIENT`.
    pub validation_kind: String,
    /// PEM trust anchors.
    pub trusted_certs: Vec<String>,
    /// PEM intermediates, in no particular order.
    pub untrusted_intermediates: Vec<String>,
    /// The PEM end-entity certificate.
    pub peer_certificate: String,
    /// The PEM private key of the end-entity certificate, when the case carries one.
    pub peer_certificate_key: Option<String>,
    /// RFC 3339, or none for "now".
    pub validation_time: Option<String>,
    /// `SUCCESS` or `FAILURE`.
    pub expected_result: String,
    /// The name the chain is verified for.
    pub expected_peer_name: Option<PeerName>,
    /// PEM CRLs.
    #[serde(default)]
    pub crls: Vec<String>,
}

/// A peer name: `DNS` or `IP`.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerName {
    /// `DNS`, `IP` or `RFC822`.
    pub kind: String,
    /// The name.
    pub value: String,
}

#[derive(Deserialize)]
struct Limbo {
    testcases: Vec<Testcase>,
}

/// Reads `limbo.json.gz` (or plain `limbo.json`).
pub fn load(path: &Path) -> Result<Vec<Testcase>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut json = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file).read_to_end(&mut json)?;
    } else {
        std::io::BufReader::new(file).read_to_end(&mut json)?;
    }
    Ok(serde_json::from_slice::<Limbo>(&json)?.testcases)
}

/// Why a testcase is not run, if it is not.
pub fn skip_reason(case: &Testcase) -> Option<&'static str> {
    if case.validation_kind != "SERVER" {
        return Some("client-certificate validation: not what an HTTPS client does");
    }
    let has_feature = |name: &str| case.features.iter().flatten().any(|f| f == name);
    if has_feature("max-chain-depth") {
        return Some("max-chain-depth: not configurable in rustls-webpki");
    }
    match &case.expected_peer_name {
        None => Some("no expected peer name"),
        Some(name) if name.kind != "DNS" && name.kind != "IP" => {
            Some("peer name is neither DNS nor IP")
        }
        Some(_) => None,
    }
}

/// A testcase in the shape the component takes: DER, a time, a name.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Trust anchors.
    pub trusted: Vec<Vec<u8>>,
    /// End-entity first, then the intermediates.
    pub chain: Vec<Vec<u8>>,
    /// Revocation lists.
    pub crls: Vec<Vec<u8>>,
    /// The validation time.
    pub time: Option<SystemTime>,
    /// The peer name.
    pub name: String,
}

/// Converts a runnable testcase.
pub fn prepare(case: &Testcase) -> Result<Prepared> {
    let certs = |pems: &[String]| -> Result<Vec<Vec<u8>>> {
        pems.iter()
            .map(|pem| Ok(CertificateDer::from_pem_slice(pem.as_bytes())?.to_vec()))
            .collect()
    };
    let mut chain = certs(std::slice::from_ref(&case.peer_certificate))?;
    chain.extend(certs(&case.untrusted_intermediates)?);
    let crls = case
        .crls
        .iter()
        .map(|pem| Ok(CertificateRevocationListDer::from_pem_slice(pem.as_bytes())?.to_vec()))
        .collect::<Result<Vec<_>>>()?;
    let time = match &case.validation_time {
        Some(text) => {
            let parsed =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)?;
            Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(parsed.unix_timestamp())?))
        }
        None => None,
    };
    Ok(Prepared {
        trusted: certs(&case.trusted_certs)?,
        chain,
        crls,
        time,
        name: case
            .expected_peer_name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default(),
    })
}

/// What the component said about a testcase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "detail")]
pub enum Verdict {
    /// The chain was accepted.
    Success,
    /// The chain (or the anchors) were refused, with the message.
    Failure(String),
    /// Not run, with the reason.
    Skipped(String),
}

impl Verdict {
    /// `SUCCESS`, `FAILURE` or `SKIPPED`, as limbo writes them.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Success => "SUCCESS",
            Verdict::Failure(_) => "FAILURE",
            Verdict::Skipped(_) => "SKIPPED",
        }
    }
}

/// Gives the testcase's anchors, CRLs and time to the host, then makes a default context; a
/// refusal (bad anchors, say) is the testcase's verdict.
pub fn context_for(
    client: &mut ClientInstance,
    case: &Prepared,
) -> Result<std::result::Result<ContextHandle, Verdict>> {
    client.set_trust(
        HostTrust::Anchors(case.trusted.clone()),
        HostRevocationLists::Lists(case.crls.clone()),
    );
    client.set_wall_clock(case.time);
    match client.default_context()? {
        Ok(context) => Ok(Ok(context)),
        Err(err) => Ok(Err(Verdict::Failure(client.describe_error(&err)?))),
    }
}

/// Verifies a prepared testcase through `client`'s default context.
pub fn verify(client: &mut ClientInstance, case: &Prepared) -> Result<Verdict> {
    let context = match context_for(client, case)? {
        Ok(context) => context,
        Err(verdict) => return Ok(verdict),
    };
    let verdict = match client.verify_chain(context, &case.chain, &case.name)? {
        Ok(()) => Verdict::Success,
        Err(err) => Verdict::Failure(client.describe_error(&err)?),
    };
    client.drop_context(context)?;
    Ok(verdict)
}

/// A documented divergence: limbo's own rustls harness (or this project's list) gives the same
/// answer, with its reason.
#[derive(Debug, Clone, Deserialize)]
pub struct KnownDivergence {
    /// What the harness answered: `SUCCESS`, `FAILURE` or `SKIPPED`.
    pub actual: String,
    /// The harness's error or reason.
    #[serde(default)]
    pub error: Option<String>,
    /// Why it skipped.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Reads divergence lists (limbo's rustls harness's, then ours); a later list's entry for the
/// same testcase replaces an earlier one.
pub fn load_divergences(paths: &[&Path]) -> Result<HashMap<String, KnownDivergence>> {
    let mut all = HashMap::new();
    for path in paths {
        let text =
            std::fs::read(path).with_context(|| format!("cannot open {}", path.display()))?;
        let list: HashMap<String, KnownDivergence> = serde_json::from_slice(&text)?;
        all.extend(list);
    }
    Ok(all)
}

/// This project's own divergence list (beside the conformance document).
pub fn our_divergences_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/limbo-divergences.json")
}

/// How a testcase's verdict compares with the expected result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// As expected.
    Match,
    /// Not as expected, exactly as limbo's rustls harness (reason documented).
    Documented,
    /// Not as expected, and not explained.
    Unexplained,
}

/// One row of the results file.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The testcase id.
    pub id: String,
    /// `SUCCESS` or `FAILURE`.
    pub expected: String,
    /// The component's verdict.
    pub actual: Verdict,
    /// The comparison.
    pub outcome: Outcome,
    /// For documented divergences, the harness's reason.
    pub reason: Option<String>,
}

/// Compares a verdict with the testcase and the harness's divergences.
pub fn classify(
    case: &Testcase,
    actual: Verdict,
    divergences: &HashMap<String, KnownDivergence>,
) -> Row {
    let known = divergences.get(&case.id);
    let (outcome, reason) = if actual.word() == case.expected_result {
        (Outcome::Match, None)
    } else if let Some(known) = known.filter(|k| k.actual == actual.word()) {
        let reason = known.reason.clone().or_else(|| known.error.clone());
        (Outcome::Documented, reason)
    } else {
        (Outcome::Unexplained, None)
    };
    Row {
        id: case.id.clone(),
        expected: case.expected_result.clone(),
        actual,
        outcome,
        reason,
    }
}

/// The results of a whole run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// One row per testcase.
    pub rows: Vec<Row>,
}

impl Report {
    /// How many rows have `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }

    /// `limbo: N/M match, K documented divergences, F unexplained`.
    pub fn summary(&self) -> String {
        format!(
            "limbo: {}/{} match, {} documented divergences, {} unexplained",
            self.count(Outcome::Match),
            self.rows.len(),
            self.count(Outcome::Documented),
            self.count(Outcome::Unexplained)
        )
    }

    /// Skip reasons with their counts.
    pub fn skipped(&self) -> BTreeMap<String, usize> {
        let mut reasons = BTreeMap::new();
        for row in &self.rows {
            if let Verdict::Skipped(reason) = &row.actual {
                *reasons.entry(reason.clone()).or_default() += 1;
            }
        }
        reasons
    }

    /// Per category (the id's namespace): (testcases, matches, documented, unexplained).
    pub fn by_category(&self) -> BTreeMap<String, [usize; 4]> {
        let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
        for row in &self.rows {
            let category = row.id.split("::").next().unwrap_or("").to_owned();
            let counts = table.entry(category).or_default();
            counts[0] += 1;
            counts[match row.outcome {
                Outcome::Match => 1,
                Outcome::Documented => 2,
                Outcome::Unexplained => 3,
            }] += 1;
        }
        table
    }
}

/// Runs every testcase through `client`.
pub fn run(
    client: &mut ClientInstance,
    cases: &[Testcase],
    divergences: &HashMap<String, KnownDivergence>,
) -> Result<Report> {
    let mut report = Report::default();
    for case in cases {
        let verdict = match skip_reason(case) {
            Some(reason) => Verdict::Skipped(reason.to_owned()),
            None => match prepare(case) {
                Ok(prepared) => verify(client, &prepared)?,
                Err(err) => Verdict::Failure(format!("testcase not usable: {err}")),
            },
        };
        report.rows.push(classify(case, verdict, divergences));
    }
    Ok(report)
}
