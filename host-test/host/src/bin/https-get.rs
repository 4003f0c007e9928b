//! `https-get`: fetch a URL through the verified-https component, curl-style
//! ([`verified_https_host::cli`] has the flags, the decisions and the exit codes).

use std::process::ExitCode;

use clap::Parser;
use verified_https_host::cli::{self, Args};

fn main() -> ExitCode {
    let args = Args::parse();
    match cli::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("https-get: {}", failure.message);
            if args.json {
                println!("{}", failure.to_json());
            }
            ExitCode::from(failure.code)
        }
    }
}
