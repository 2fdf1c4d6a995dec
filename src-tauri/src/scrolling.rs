//! WebKit's asynchronous scrolling of overflow boxes, off (Linux).
//!
//! With compositing on, WebKitGTK gives every scrolling box (the run's checklist, its rail, the
//! nav) a composited layer of its own with tiles painted around what is in view: 15 MiB of the
//! web process for the run screen (debug app, compositing on, Skia on the CPU, two readings: the
//! tree 326 → 311 MiB; README "The window against a bare Tauri window"). Off, the boxes scroll by
//! repainting into the page's one layer, as with compositing off (the app's default, where this
//! changes nothing). The switch is one of WebKit's "features" (`AsyncOverflowScrolling`), set
//! through `webkit_settings_set_feature_enabled` (WebKitGTK 2.42): the Rust bindings do not have
//! it, so it is looked up at run time and left alone where this WebKitGTK lacks it or names the
//! feature otherwise. `FLIGHTDECK_ASYNC_SCROLLING=1` keeps WebKit's default.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use std::ffi::{c_char, c_int, c_void, CStr};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use webkit2gtk::glib::translate::ToGlibPtr;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use webkit2gtk::WebViewExt;

/// The feature's identifier in WebKit's list (`webkit_feature_get_identifier`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const FEATURE: &str = "AsyncOverflowScrolling";

/// Whether the app turns it off, given which variables are set (the user's word wins).
pub fn turns_off(is_set: impl Fn(&str) -> bool) -> bool {
    !is_set("FLIGHTDECK_ASYNC_SCROLLING")
}

/// Turn the switch off in `window`'s web view, unless `FLIGHTDECK_ASYNC_SCROLLING` is set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    if !turns_off(|name| std::env::var_os(name).is_some()) {
        return Ok(());
    }
    window.with_webview(|view| {
        if !turn_off(&view.inner()) {
            eprintln!("flightdeck-app: this WebKitGTK has no AsyncOverflowScrolling switch; left as it is");
        }
    })
}

/// Other platforms and C libraries: their web views are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn apply<R: tauri::Runtime>(_window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type AllFeatures = unsafe extern "C" fn() -> *mut c_void;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type ListLength = unsafe extern "C" fn(*mut c_void) -> usize;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type ListGet = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type ListUnref = unsafe extern "C" fn(*mut c_void);
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Identifier = unsafe extern "C" fn(*mut c_void) -> *const c_char;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type SetEnabled = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int);

/// A WebKitGTK function by name in the process (null where this WebKitGTK has none).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn lookup(name: &CStr) -> *mut c_void {
    // SAFETY: dlsym with RTLD_DEFAULT (a null handle in glibc) only reads the loaded objects'
    // symbol tables; `name` is a NUL-terminated string.
    unsafe { libc::dlsym(std::ptr::null_mut(), name.as_ptr()) }
}

/// Turn [`FEATURE`] off in `view`'s settings; answers whether it was found and set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn turn_off(view: &webkit2gtk::WebView) -> bool {
    let syms = [
        lookup(c"webkit_settings_get_all_features"),
        lookup(c"webkit_feature_list_get_length"),
        lookup(c"webkit_feature_list_get"),
        lookup(c"webkit_feature_list_unref"),
        lookup(c"webkit_feature_get_identifier"),
        lookup(c"webkit_settings_set_feature_enabled"),
    ];
    if syms.iter().any(|s| s.is_null()) {
        return false;
    }
    let Some(settings) = view.settings() else {
        return false;
    };
    // Borrowed: `settings` (and the view) hold the object while it is used below.
    let ptr: *mut webkit2gtk::ffi::WebKitSettings = settings.to_glib_none().0;
    // SAFETY: each pointer is the named WebKitGTK 2.42+ function (found above), transmuted to its
    // C signature from webkit2/WebKitFeature.h and WebKitSettings.h. The list is ours (transfer
    // full) and unreffed once; its features live as long as it; identifiers are static strings.
    unsafe {
        let all = std::mem::transmute::<*mut c_void, AllFeatures>(syms[0]);
        let len = std::mem::transmute::<*mut c_void, ListLength>(syms[1]);
        let get = std::mem::transmute::<*mut c_void, ListGet>(syms[2]);
        let unref = std::mem::transmute::<*mut c_void, ListUnref>(syms[3]);
        let id = std::mem::transmute::<*mut c_void, Identifier>(syms[4]);
        let set = std::mem::transmute::<*mut c_void, SetEnabled>(syms[5]);
        let list = all();
        if list.is_null() {
            return false;
        }
        let mut found = false;
        for i in 0..len(list) {
            let feature = get(list, i);
            let name = id(feature);
            if !feature.is_null() && !name.is_null() && CStr::from_ptr(name).to_bytes() == FEATURE.as_bytes()
            {
                set(ptr.cast(), feature, 0);
                found = true;
                break;
            }
        }
        unref(list);
        found
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_users_word_keeps_webkits_default() {
        assert!(super::turns_off(|_| false));
        assert!(!super::turns_off(|n| n == "FLIGHTDECK_ASYNC_SCROLLING"));
    }
}
