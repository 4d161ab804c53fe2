//! Fixture sites for integration tests: a `partners.yaml` with three tiers and whatever content
//! files a test gives, written into a temporary folder and built with the library or the real
//! `portico` binary.

pub mod intake;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portico::build::{BuildError, BuildOptions, BuildReport};
use portico::diagnostic::Diagnostic;
use tempfile::TempDir;

/// A program with the three tiers the sample site uses, highest first, and no partners.
pub const PARTNERS_YAML: &str = "\
program:
  name: Test Network
  base_url: https://partners.example.com/
  contact: partners@example.com
tiers:
  - id: strategic
    name: Strategic
  - id: active
    name: Active
  - id: referral-network
    name: Referral Network
";

/// A site in a temporary folder, deleted when dropped.
pub struct Site {
    dir: TempDir,
}

impl Site {
    /// A site with [`PARTNERS_YAML`] and a home page.
    pub fn new() -> Site {
        Site::with_partners(PARTNERS_YAML).file("content/_index.md", "---\ntitle: Home\n---\n")
    }

    /// A site with the given `partners.yaml` and an empty `content/` folder.
    pub fn with_partners(partners_yaml: &str) -> Site {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir(dir.path().join("content")).expect("the content folder");
        let site = Site { dir };
        site.write("partners.yaml", partners_yaml);
        site
    }

    /// Adds (or replaces) a file, `path` being relative to the site root.
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Site {
        self.write(path, contents);
        self
    }

    /// Writes a file, `path` being relative to the site root.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("the folder");
        std::fs::write(path, contents).expect("the fixture file");
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Where builds write: `<root>/public`.
    pub fn output(&self) -> PathBuf {
        self.root().join("public")
    }

    /// Builds every tier with the library.
    pub fn build(&self) -> Result<BuildReport, BuildError> {
        portico::build::build(&BuildOptions {
            root: self.root().to_path_buf(),
            output: self.output(),
            tiers: Vec::new(),
            base_url: None,
            drafts: false,
            allow_broken_links: false,
        })
    }

    /// Builds and returns the warnings, failing the test if the build fails.
    pub fn build_ok(&self) -> Vec<Diagnostic> {
        match self.build() {
            Ok(report) => report.warnings,
            Err(BuildError::Invalid(problems)) => panic!("the build failed:\n{}", list(&problems)),
            Err(e) => panic!("the build failed: {e}"),
        }
    }

    /// Builds and returns the problems, failing the test if the build succeeds.
    pub fn build_err(&self) -> Vec<Diagnostic> {
        match self.build() {
            Err(BuildError::Invalid(problems)) => problems,
            Err(e) => panic!("expected problems with the site, got: {e}"),
            Ok(_) => panic!("expected the build to fail, but it succeeded"),
        }
    }

    /// Runs `portico build --root <root>` and returns what it printed and its exit status.
    pub fn run(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_portico"))
            .arg("build")
            .arg("--root")
            .arg(self.root())
            .env("NO_COLOR", "1")
            .env_remove("PORTICO_LOG")
            .output()
            .expect("the portico binary runs")
    }

    /// The text of an output file, `path` being relative to the output folder.
    pub fn read_output(&self, path: &str) -> String {
        let path = self.output().join(path);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()))
    }

    /// Every file under the output folder with its bytes, to compare trees.
    pub fn output_tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut tree = BTreeMap::new();
        collect(&self.output(), &self.output(), &mut tree);
        tree
    }
}

fn collect(root: &Path, dir: &Path, tree: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            collect(root, &path, tree);
        } else {
            let bytes = std::fs::read(&path).expect("a readable file");
            tree.insert(path.strip_prefix(root).expect("inside root").to_path_buf(), bytes);
        }
    }
}

/// Diagnostics one per paragraph, for failure messages.
pub fn list(problems: &[Diagnostic]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n\n")
}

/// Where a finding of `check --format json` is, and in which tiers: `path:line:col [a,b]`.
pub fn finding_place(finding: &serde_json::Value) -> String {
    let tiers: Vec<&str> =
        finding["tiers"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    format!(
        "{}:{}:{} [{}]",
        finding["path"].as_str().unwrap(),
        finding["line"],
        finding["column"],
        tiers.join(",")
    )
}

/// Every file under `dir`.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .collect()
}

/// A file's bytes, decompressed when it is gzip (as the search index's files are).
pub fn readable_bytes(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut plain).unwrap();
    plain
}

/// Whether any file under `dir`, search index included, holds `needle`.
pub fn tree_contains(dir: &Path, needle: &str) -> bool {
    let needle = needle.as_bytes();
    files(dir).iter().any(|path| readable_bytes(path).windows(needle.len()).any(|w| w == needle))
}
