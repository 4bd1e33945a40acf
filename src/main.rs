//! Mounts the moot app; everything else lives in the library.

fn main() {
    leptos::mount::mount_to_body(moot::App);
}
