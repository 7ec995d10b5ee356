//! `man` and `completions`: the man pages (roff, from clap's definitions plus what clap does
//! not know) and the shell completion scripts.

use crate::cli::args::Cli;
use crate::cli::{write_file_atomically, Status};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<Status> {
    let mut text = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "pinger-smokeping",
        &mut text,
    );
    std::io::stdout().lock().write_all(&text)?;
    Ok(Status::Done)
}

/// The man pages: the main one on stdout, or all of them (one per subcommand too) into `dir`.
pub fn pages(dir: Option<&Path>) -> Result<Status> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Building gives each subcommand its full name, pinger-smokeping-<name>.
    command.build();
    let render = |command: &clap::Command, extra: &str| -> Result<Vec<u8>> {
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut page)?;
        page.extend_from_slice(extra.as_bytes());
        Ok(page)
    };
    let Some(dir) = dir else {
        std::io::stdout()
            .lock()
            .write_all(&render(&command, MAN_EXTRA)?)?;
        return Ok(Status::Done);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut pages = vec![(command.get_name().to_string(), render(&command, MAN_EXTRA)?)];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_display_name().unwrap_or(sub.get_name()).to_string();
        pages.push((name, render(sub, MAN_SEE_MAIN)?));
    }
    for (name, page) in pages {
        write_file_atomically(&dir.join(format!("{name}.1")), &page)?;
    }
    Ok(Status::Done)
}

/// The subcommands' pages point to the main one for settings and exit status.
const MAN_SEE_MAIN: &str = ".SH \"SEE ALSO\"\n\\fBpinger\\-smokeping\\fR(1): the config file, the environment and the exit status.\n";

/// What clap does not know: appended to the man page in roff.
const MAN_EXTRA: &str = r#".SH FILES
.TP
\fI/etc/pinger-smokeping/config.toml\fR
The settings every subcommand reads (another file with \fB\-\-config\fR or
\fBPINGER_SMOKEPING_CONFIG\fR). Keys: data, rrd, days, pings, step, rras, threads, fsync,
daemon, [filter] monitors, remotes, bytes, [serve] listen, [log] file, summary_json,
[smokeping] imgcache, imgurl, piddir, cgiurl, template. Check it with
\fBpinger\-smokeping config check\fR; print what is in effect with
\fBpinger\-smokeping config show\fR.
.TP
\fIRRD/srcdest.txt\fR
The keys of an RRD tree, one per line; each key's file is
\fIRRD/<monitor>/<remote>_<bytes>_<N>.rrd\fR.
.SH ENVIRONMENT
Settings are stacked: built\-in defaults, the config file, the environment, then flags.
Each config key has a variable \fBPINGER_SMOKEPING_\fR followed by the key in capitals with
dots as underscores, e.g. \fBPINGER_SMOKEPING_DATA\fR, \fBPINGER_SMOKEPING_SERVE_LISTEN\fR,
\fBPINGER_SMOKEPING_FILTER_BYTES\fR=100,1000. \fBRRDCACHED_ADDRESS\fR also sets daemon.
.SH "EXIT STATUS"
0 done (rejected input lines are reported, not failures); 1 finished, but some files or keys
failed; 2 fatal or usage error, also when another run holds the RRD tree's lock.
.SH "SEE ALSO"
\fBsmokeping\fR(1), \fBrrdtool\fR(1), \fBrrdcached\fR(1)
"#;
