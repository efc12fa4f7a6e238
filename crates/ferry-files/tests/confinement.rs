//! Every way out of the root refused, with nothing written outside it, under both resolvers.

mod common;

use std::{fs, os::unix::fs::symlink};

use common::{pattern, source_of, Tree, RESOLVERS};
use ferry_files::{FilesError, Resolve, Root, RootConfig};
use ferry_wire::Status;

fn config(resolve: Resolve) -> RootConfig {
    RootConfig::default().resolve(resolve)
}

fn assert_refused<T: std::fmt::Debug>(what: &str, result: Result<T, FilesError>) {
    match result {
        Err(err @ FilesError::Refused { .. }) => {
            assert_eq!(err.status(), Status::PermissionDenied, "{what}: {err}");
        }
        other => panic!("{what} was not refused: {other:?}"),
    }
}

/// Every operation on `path`, each of which must be refused.
fn assert_all_refused(root: &Root, path: &str) {
    let bytes = b"escape";
    assert_refused(&format!("stat {path:?}"), root.stat(path));
    assert_refused(&format!("list {path:?}"), root.list(path));
    assert_refused(&format!("open_read {path:?}"), root.open_read(path));
    assert_refused(&format!("prefix_hash {path:?}"), root.prefix_hash(path, 0));
    assert_refused(&format!("begin_put {path:?}"), root.begin_put(path, None));
    let source = source_of(bytes, 1);
    assert_refused(
        &format!("begin_upload {path:?}"),
        root.begin_upload(path, source),
    );
}

#[test]
fn the_kernel_here_has_openat2_and_auto_uses_it() {
    let tree = Tree::new("auto");
    assert_eq!(tree.open(RootConfig::default()).resolve(), Resolve::Openat2);
    assert_eq!(tree.open(config(Resolve::Walk)).resolve(), Resolve::Walk);
}

#[test]
fn paths_breaking_the_rules_are_refused_by_every_operation() {
    for resolve in RESOLVERS {
        let tree = Tree::new(&format!("rules-{resolve:?}"));
        fs::write(tree.outside().join("secret"), b"secret").unwrap();
        let root = tree.open(config(resolve));
        for path in [
            "..",
            "../outside/secret",
            "a/../../outside/secret",
            "/etc/passwd",
            "nul\0byte",
            ".partial",
            ".partial/x.data",
            "a//b",
        ] {
            assert_all_refused(&root, path);
        }
        assert_eq!(tree.outside_names(), ["secret"]);
    }
}

#[test]
fn symbolic_links_are_refused_wherever_they_lead() {
    for resolve in RESOLVERS {
        let tree = Tree::new(&format!("links-{resolve:?}"));
        fs::write(tree.outside().join("secret"), b"secret").unwrap();
        tree.put_file("inside.txt", b"inside");
        let dir = tree.root_dir();
        symlink(tree.outside().join("secret"), dir.join("file-out")).unwrap();
        symlink(tree.outside(), dir.join("dir-out")).unwrap();
        symlink("../outside", dir.join("dir-out-relative")).unwrap();
        symlink("inside.txt", dir.join("file-in")).unwrap();
        let root = tree.open(config(resolve));
        for path in [
            "file-out",
            "dir-out",
            "dir-out/secret",
            "dir-out/new.txt",
            "dir-out-relative/secret",
            "dir-out-relative/deeper/new.txt",
            "file-in",
        ] {
            assert_all_refused(&root, path);
        }
        assert_eq!(tree.outside_names(), ["secret"]);
        assert_eq!(fs::read(tree.outside().join("secret")).unwrap(), b"secret");
    }
}

#[test]
fn listings_leave_out_links_and_the_partial_directory() {
    for resolve in RESOLVERS {
        let tree = Tree::new(&format!("listing-{resolve:?}"));
        tree.put_file("b.txt", b"bb");
        tree.put_file("a/inner.txt", b"a");
        symlink(tree.outside(), tree.root_dir().join("c-link")).unwrap();
        let root = tree.open(config(resolve));
        let names: Vec<(String, bool)> = root
            .list("")
            .unwrap()
            .into_iter()
            .map(|entry| (entry.name, entry.is_dir))
            .collect();
        assert_eq!(names, [("a".to_owned(), true), ("b.txt".to_owned(), false)]);
        let inner = root.list("a/").unwrap();
        assert_eq!((inner[0].name.as_str(), inner[0].size), ("inner.txt", 1));
        assert!(matches!(
            root.list("b.txt"),
            Err(FilesError::WrongKind { .. })
        ));
    }
}

/// rsync's path escape: a directory the upload writes into is replaced by a link to the
/// outside after the upload began. Landing resolves the directory again, refusing the link.
#[test]
fn a_directory_swapped_for_a_link_mid_upload_leads_nowhere_outside() {
    for resolve in RESOLVERS {
        let tree = Tree::new(&format!("swap-{resolve:?}"));
        let root = tree.open(config(resolve).fsync_every(1024));
        let bytes = pattern(10_000, 3);
        tree.put_file("sub/keep.txt", b"keep");
        let mut upload = root
            .begin_upload("sub/new.bin", source_of(&bytes, 7))
            .unwrap();
        let mut put = root.begin_put("sub/put.bin", None).unwrap();
        upload.write(&bytes[..5000]).unwrap();
        put.write(&bytes[..5000]).unwrap();

        fs::rename(tree.root_dir().join("sub"), tree.base.join("moved-sub")).unwrap();
        symlink(tree.outside(), tree.root_dir().join("sub")).unwrap();

        upload.write(&bytes[5000..]).unwrap();
        put.write(&bytes[5000..]).unwrap();
        assert_refused("landing through the link", upload.finish());
        assert_refused("putting through the link", put.finish());
        assert!(
            tree.outside_names().is_empty(),
            "{:?}",
            tree.outside_names()
        );
    }
}

#[test]
fn a_link_in_place_of_the_partial_directory_is_not_used() {
    let tree = Tree::new("partial-link");
    symlink(tree.outside(), tree.root_dir().join(".partial")).unwrap();
    let refused = Root::open(&tree.root_dir(), RootConfig::default());
    assert!(refused.is_err(), "{refused:?}");
    assert!(tree.outside_names().is_empty());
}
