//! For the wasm-bindgen tests in Chromium: fail on what the page reported — console errors,
//! uncaught exceptions and rejections, CSP violations — as the end-to-end tests do.

use wasm_bindgen::JsValue;

fn run(js: &str) -> JsValue {
    js_sys::Function::new_no_args(js)
        .call0(&JsValue::NULL)
        .expect("the console watch script runs")
}

/// Watches the page from now on; [`Console::assert_clean`] fails on anything it saw.
pub struct Console;

impl Console {
    pub fn watch() -> Self {
        run("if (!window.__mootWatch) {
               window.__mootWatch = true;
               const seen = (what) => window.__mootErrors.push(String(what));
               const error = console.error.bind(console);
               console.error = (...args) => { seen(args.join(' ')); error(...args); };
               window.addEventListener('error', (e) => seen('uncaught: ' + e.message));
               window.addEventListener('unhandledrejection', (e) => seen('rejected: ' + e.reason));
               document.addEventListener('securitypolicyviolation', (e) => seen('CSP: ' + e.violatedDirective));
             }
             window.__mootErrors = [];");
        Console
    }

    pub fn assert_clean(self) {
        let seen = run("return window.__mootErrors.join('\\n')")
            .as_string()
            .unwrap_or_default();
        assert!(seen.is_empty(), "the page reported:\n{seen}");
    }
}
