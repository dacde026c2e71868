use super::*;
use crate::model::cloud::wire::Page;

fn item(name: &str, folder: bool, size: u64, mime: &str) -> CloudItem {
    CloudItem {
        name: name.into(),
        path: if folder {
            format!("/{name}/")
        } else {
            format!("/{name}")
        },
        mimetype: mime.into(),
        thumbnail: None,
        size,
        folder,
    }
}

fn page(items: Vec<CloudItem>, next: Option<&str>) -> Listing {
    Listing::Page(Page {
        folder: "Home".into(),
        items,
        next: next.map(str::to_owned),
        account: Some("ana@example.com".into()),
        pick_url: None,
    })
}

fn shown(b: &Browse) -> Vec<&str> {
    b.order(&str::to_lowercase)
        .into_iter()
        .map(|n| b.items[n].name.as_str())
        .collect()
}

fn failure(code: &str) -> Failure {
    Failure {
        code: Some(code.into()),
        status: Some(400),
        detail: "x".into(),
    }
}

#[test]
fn showing_a_source_lists_its_root_once_and_pages_are_appended() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let want = b.want().unwrap();
    assert_eq!((want.path.as_str(), want.next.as_deref()), ("/", None));
    assert_eq!(
        b.clone().reduce(BrowseAction::Show).request,
        b.request,
        "no second listing"
    );
    let b = b.reduce(BrowseAction::Answer(
        want.request,
        Ok(page(
            vec![item("a.txt", false, 1, "text/plain")],
            Some("p2"),
        )),
    ));
    assert_eq!(b.status, Status::Ready);
    assert_eq!(b.want(), None);
    assert_eq!(
        b.here().name,
        "Home",
        "the root takes the source's name for it"
    );
    assert_eq!(b.account.as_deref(), Some("ana@example.com"));
    let b = b.reduce(BrowseAction::More);
    let want = b.want().unwrap();
    assert_eq!(want.next.as_deref(), Some("p2"));
    let b = b.reduce(BrowseAction::Answer(
        want.request,
        Ok(page(vec![item("b.txt", false, 1, "text/plain")], None)),
    ));
    assert_eq!(shown(&b), ["a.txt", "b.txt"]);
    assert_eq!(
        b.reduce(BrowseAction::More).want(),
        None,
        "no page after the last"
    );
}

#[test]
fn a_late_answer_for_a_folder_left_behind_is_dropped() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let old = b.request;
    let b = b.reduce(BrowseAction::Open(Crumb {
        name: "Docs".into(),
        path: "/Docs/".into(),
    }));
    let b = b.reduce(BrowseAction::Answer(
        old,
        Ok(page(vec![item("root.txt", false, 1, "text/plain")], None)),
    ));
    assert_eq!(b.status, Status::Loading);
    assert!(b.items.is_empty());
    assert_eq!(b.want().unwrap().path, "/Docs/");
}

#[test]
fn the_trail_back_and_forward_move_like_a_file_manager() {
    let open = |b: Browse, name: &str| {
        b.reduce(BrowseAction::Open(Crumb {
            name: name.into(),
            path: format!("/{name}/"),
        }))
    };
    let b = Browse::default().reduce(BrowseAction::Show);
    let b = open(open(b, "A"), "B");
    let names = |b: &Browse| b.trail.iter().map(|c| c.path.clone()).collect::<Vec<_>>();
    assert_eq!(names(&b), ["/", "/A/", "/B/"]);
    let b = b.reduce(BrowseAction::Up(0));
    assert_eq!(names(&b), ["/"]);
    let b = b.reduce(BrowseAction::Back);
    assert_eq!(names(&b), ["/", "/A/", "/B/"]);
    assert_eq!(b.can_go(), (true, true));
    let b = b.reduce(BrowseAction::Forward);
    assert_eq!(names(&b), ["/"]);
    assert_eq!(b.can_go(), (true, false));
    let b = b.reduce(BrowseAction::Up(5));
    assert_eq!(
        names(&b),
        ["/"],
        "a crumb that is not there changes nothing"
    );
    assert_eq!(b.want().unwrap().path, "/");
}

#[test]
fn folders_come_first_then_the_chosen_order_and_the_filter_ignores_case() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let n = b.request;
    let b = b.reduce(BrowseAction::Answer(
        n,
        Ok(page(
            vec![
                item("b.png", false, 10, "image/png"),
                item("Zeta", true, 0, "inode/directory"),
                item("A.txt", false, 30, "text/plain"),
                item("alpha", true, 0, "inode/directory"),
            ],
            None,
        )),
    ));
    assert_eq!(shown(&b), ["alpha", "Zeta", "A.txt", "b.png"]);
    let b = b.reduce(BrowseAction::Sort(Sort::Size));
    assert_eq!(shown(&b), ["alpha", "Zeta", "A.txt", "b.png"]);
    let b = b.reduce(BrowseAction::Sort(Sort::Type));
    assert_eq!(shown(&b), ["alpha", "Zeta", "b.png", "A.txt"]);
    let b = b.reduce(BrowseAction::Filter(" A ".into()));
    assert_eq!(shown(&b), ["alpha", "Zeta", "A.txt"]);
    let b = b.reduce(BrowseAction::Layout(Layout::Grid));
    assert_eq!(b.layout, Layout::Grid);
    let b = b.reduce(BrowseAction::Refresh);
    assert!(
        b.filter.is_empty() && b.items.is_empty(),
        "a new listing clears the filter"
    );
    assert_eq!(b.layout, Layout::Grid, "the layout stays");
}

#[test]
fn a_sign_in_offer_an_unoffered_source_and_a_failure_each_have_their_status() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let offer = AuthOffer {
        redirect_url: "https://s/start".into(),
        flow: "f".into(),
    };
    let n = b.request;
    let signin = b
        .clone()
        .reduce(BrowseAction::Answer(n, Ok(Listing::SignIn(offer.clone()))));
    assert_eq!(signin.status, Status::SignIn(offer));
    let off = b
        .clone()
        .reduce(BrowseAction::Answer(n, Err(failure("unknown_source"))));
    assert_eq!(off.status, Status::Unavailable);
    let failed = b.reduce(BrowseAction::Answer(n, Err(failure("source_failed"))));
    assert!(matches!(failed.status, Status::Failed(_)));
    assert!(
        failed.clone().reduce(BrowseAction::Show).want().is_some(),
        "showing it again retries"
    );
}

#[test]
fn signing_out_forgets_the_account_and_the_history() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let n = b.request;
    let b = b
        .reduce(BrowseAction::Answer(n, Ok(page(vec![], None))))
        .reduce(BrowseAction::Open(Crumb {
            name: "A".into(),
            path: "/A/".into(),
        }))
        .reduce(BrowseAction::SignedOut);
    assert_eq!(b.account, None);
    assert_eq!(b.trail, [Crumb::root()]);
    assert_eq!(b.can_go(), (false, false));
    assert_eq!(b.want().unwrap().path, "/");
}

#[test]
fn a_search_is_a_folder_of_its_words() {
    let b = Browse::default().reduce(BrowseAction::Search("  red/cars ".into()));
    assert_eq!(b.want().unwrap().path, "/red cars/");
    assert_eq!(b.here().name, "red cars");
    let same = b.clone().reduce(BrowseAction::Search("   ".into()));
    assert_eq!(same.request, b.request, "empty words search nothing");
}

#[test]
fn the_focus_coming_back_lists_again_only_a_folder_filled_elsewhere() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let n = b.request;
    let b = b.reduce(BrowseAction::Answer(n, Ok(page(vec![], None))));
    assert_eq!(b.clone().reduce(BrowseAction::Focus).want(), None);
    let Listing::Page(mut p) = page(vec![], None) else {
        unreachable!()
    };
    p.pick_url = Some("https://photos.example/pick".into());
    let b = b.reduce(BrowseAction::Refresh);
    let n = b.request;
    let b = b.reduce(BrowseAction::Answer(n, Ok(Listing::Page(p))));
    assert!(b.reduce(BrowseAction::Focus).want().is_some());
}

#[test]
fn a_new_browser_is_at_the_root_before_anything_is_asked() {
    let b = Browse::default();
    assert_eq!(b.here(), &Crumb::root());
    assert_eq!(b.want(), None);
    assert!(b.order(&str::to_lowercase).is_empty());
}

#[test]
fn back_from_choosing_at_the_root_the_one_folder_of_the_choice_opens() {
    let b = Browse::default().reduce(BrowseAction::Show);
    let n = b.request;
    let Listing::Page(mut p) = page(vec![item("Photos you chose", true, 0, "")], None) else {
        unreachable!()
    };
    p.pick_url = Some("https://photos.example/pick".into());
    let b = b.reduce(BrowseAction::Answer(n, Ok(Listing::Page(p))));
    let b = b.reduce(BrowseAction::Focus);
    assert_eq!(b.here().name, "Photos you chose");
    assert_eq!(b.want().unwrap().path, "/Photos you chose/");
    assert_eq!(b.can_go(), (true, false), "Back returns to the root");
}
