//! Each source's icon, drawn here (24×24, simple shapes after each service's mark, in its
//! colour where it has one, else the text colour) so that people find their service at a glance
//! on the tabs and the "Connect" view. Kept as data, one `<path>` per shape, rendered by one
//! function: an `html!` tree per icon would cost kilobytes of wasm.

use crate::model::cloud::CloudSource;
use crate::model::picker_options::Source;
use yew::prelude::*;

/// The text colour (`currentColor`).
const INK: &str = "currentColor";

/// The shapes of `source`'s icon: (path, fill).
fn shapes(source: Source) -> &'static [(&'static str, &'static str)] {
    match source {
        Source::Local => &[("M4 5h16v10H4zm2 2v6h12V7zM2 17h20v2H2z", INK)],
        Source::Url => &[(
            "M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a3 3 0 0 1 4.2 4.2l-2 2-1.4-1.4 2-2a1 1 0 0 0-1.4-1.4l-3.5 3.5a1 1 0 0 1-1.4 0zm2.8-2.8a1 1 0 0 1 0 1.4l-3.5 3.5a3 3 0 0 1-4.2-4.2l2-2 1.4 1.4-2 2a1 1 0 0 0 1.4 1.4l3.5-3.5a1 1 0 0 1 1.4 0z",
            INK,
        )],
        Source::Cloud(c) => match c {
            CloudSource::GoogleDrive => &[
                ("M8.5 3h7l7 12h-7z", "#ffba00"),
                ("M8.5 3 1.5 15l3.5 6 7-12z", "#00ac47"),
                ("M5 21h14l3.5-6h-14z", "#2684fc"),
            ],
            CloudSource::GooglePhotos => &[
                ("M12 2v10a5 5 0 0 1 0-10z", "#ea4335"),
                ("M2 12h10a5 5 0 0 1-10 0z", "#fbbc04"),
                ("M12 22V12a5 5 0 0 1 0 10z", "#4285f4"),
                ("M22 12H12a5 5 0 0 1 10 0z", "#34a853"),
            ],
            CloudSource::Dropbox => &[(
                "M6 2 0 6l6 4 6-4zm12 0-6 4 6 4 6-4zM0 14l6 4 6-4-6-4zm18-4-6 4 6 4 6-4zM6 19.3l6 4 6-4-6-4z",
                "#0061fe",
            )],
            CloudSource::Box => &[(
                "M3 3h2.6v6.3A6 6 0 1 1 3 14.5zm6 15a3.4 3.4 0 1 0 0-6.8 3.4 3.4 0 0 0 0 6.8zM15 8.7l2.6 3.4 2.6-3.4H23l-4 5.3 4 5.3h-2.8l-2.6-3.4-2.6 3.4h-2.8l4-5.3-4-5.3z",
                "#0061d5",
            )],
            CloudSource::OneDrive => &[(CLOUD, "#0078d4")],
            CloudSource::OneDriveForBusiness => &[(CLOUD, "#0364b8")],
            CloudSource::GitHub => &[(
                "M12 2a10 10 0 0 0-3.2 19.5c.5.1.7-.2.7-.5v-1.7c-2.8.6-3.4-1.3-3.4-1.3-.5-1.2-1.1-1.5-1.1-1.5-.9-.6.1-.6.1-.6 1 .1 1.5 1 1.5 1 .9 1.5 2.4 1.1 2.9.8.1-.6.3-1.1.6-1.3-2.2-.3-4.6-1.1-4.6-5 0-1.1.4-2 1-2.7-.1-.3-.4-1.3.1-2.7 0 0 .8-.3 2.7 1a9.4 9.4 0 0 1 5 0c1.9-1.3 2.7-1 2.7-1 .5 1.4.2 2.4.1 2.7.6.7 1 1.6 1 2.7 0 3.9-2.3 4.7-4.6 5 .4.3.7.9.7 1.9v2.8c0 .3.2.6.7.5A10 10 0 0 0 12 2z",
                INK,
            )],
            CloudSource::Unsplash => &[("M8 3h8v5H8zM3 11h5v5h8v-5h5v10H3z", INK)],
            CloudSource::ImageSearch => &[(
                "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
                INK,
            )],
            CloudSource::WebDav => &[("M3 4h18v6H3zm3 2v2h2V6zM3 12h18v6H3zm3 2v2h2v-2z", INK)],
            CloudSource::CustomSource => &[("M3 4h18v2.5H3zm1.5 3.5h15L18 20H6z", INK)],
        },
    }
}

/// A cloud: OneDrive's mark.
const CLOUD: &str = "M7 19a5 5 0 0 1-.6-9.96A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9z";

/// The icon of `source`, decorative (the name is always next to it), with `class` for its size.
pub(crate) fn icon(source: Source, class: &'static str) -> Html {
    let paths = shapes(source)
        .iter()
        .map(|(d, fill)| html! { <path d={*d} fill={*fill} /> });
    html! {
        <svg class={class} viewBox="0 0 24 24" fill-rule="evenodd" aria-hidden="true">{ for paths }</svg>
    }
}
