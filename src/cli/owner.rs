//! Root writing someone else's tree: the RRD tree belongs to the account the nightly job runs
//! as (the package's `pinger-smokeping`). When root runs `backfill` or `update` by hand on it,
//! every directory and file it made would be root's, and the next nightly run, as the tree's
//! owner, could not write there. So a run as root on a tree owned by another account acts as
//! that account, for the whole run: new files and directories are the owner's, and anything
//! the owner could not do fails the same way it would at night.
//!
//! This must happen before any other thread starts: Linux keeps credentials per thread, and
//! threads inherit them from the thread that starts them.

use anyhow::{Context, Result};
use rustix::process::{Gid, Uid};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The account a run on `rrd` acts as, when it is not the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Its name, or its number when it has none.
    pub name: String,
    /// Its uid.
    pub uid: u32,
    /// The tree root's group.
    pub gid: u32,
}

/// When this process is root and the tree root `rrd` belongs to another account, switches
/// every credential (real, effective, saved; groups) to that account and the root's group,
/// and returns it. Otherwise, or when `rrd` does not exist yet, changes nothing.
pub fn act_as_tree_owner(rrd: &Path) -> Result<Option<Owner>> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let Ok(meta) = std::fs::metadata(rrd) else {
        return Ok(None);
    };
    if meta.uid() == 0 {
        return Ok(None);
    }
    let owner = Owner {
        name: user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string()),
        uid: meta.uid(),
        gid: meta.gid(),
    };
    // Groups first, while still root: afterwards the process may not change them. Only this
    // (the main) thread runs yet, so every thread started later has these credentials.
    let gid = Gid::from_raw(owner.gid);
    let uid = Uid::from_raw(owner.uid);
    let switch = || -> std::io::Result<()> {
        rustix::thread::set_thread_groups(&[gid])?;
        rustix::thread::set_thread_res_gid(gid, gid, gid)?;
        rustix::thread::set_thread_res_uid(uid, uid, uid)?;
        Ok(())
    };
    switch().with_context(|| {
        format!(
            "{}: cannot act as its owner {} (uid {})",
            rrd.display(),
            owner.name,
            owner.uid
        )
    })?;
    Ok(Some(owner))
}

/// The user name of `uid`, from the password database.
pub fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

/// The name of group `gid`, from the group database.
pub fn group_name(gid: u32) -> Option<String> {
    let group = std::fs::read_to_string("/etc/group").ok()?;
    group.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == gid).then(|| name.to_string())
    })
}

/// The name of the account this process runs as.
pub fn current_user() -> String {
    let uid = rustix::process::geteuid().as_raw();
    user_name(uid).unwrap_or_else(|| format!("uid {uid}"))
}
