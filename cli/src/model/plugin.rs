//! Model plugins: shared libraries that export `lumen_plugin_model`, which fills a
//! `lumen_model_desc` (the same descriptor C hosts pass to `lumen_model_new`), and
//! optionally `lumen_plugin_output_label` and `lumen_plugin_schema` (raw attributes, read
//! by [`super::plugin_schema`]). The contract is documented in
//! `examples/plugin/lumen_plugin.h`.

use std::ffi::{c_char, CStr};
use std::path::Path;
use std::ptr::NonNull;

use libloading::Library;
use lumen::ffi::model::{lumen_model_free, lumen_model_new};
use lumen::ffi::{lumen_model, lumen_model_desc, lumen_status};
use lumen::{Element, ElementType, Model, ModelSignature};

use crate::error::{CliError, CliResult};

/// The required entry point: `int32_t lumen_plugin_model(lumen_model_desc *desc)`.
pub const ENTRY_POINT: &str = "lumen_plugin_model";

/// The optional label of the explained output: `const char *lumen_plugin_output_label(void)`.
pub const OUTPUT_LABEL: &str = "lumen_plugin_output_label";

type EntryPoint = unsafe extern "C" fn(desc: *mut lumen_model_desc) -> i32;
type OutputLabel = unsafe extern "C" fn() -> *const c_char;

/// A loaded plugin: the model handle built from its descriptor, and the library that
/// holds its code (dropped after the handle, whose finaliser lives in the library).
pub struct Plugin {
    handle: NonNull<lumen_model>,
    /// What the plugin's output means, when it says.
    pub output_label: Option<String>,
    /// The plugin's raw attributes, when it exports `lumen_plugin_schema`.
    pub schema: Option<crate::schema::RawSchema>,
    _library: Library,
}

impl Plugin {
    /// Loads the shared library at `path`, calls its entry point and checks the
    /// descriptor with `lumen_model_new`.
    pub fn load(path: &Path) -> CliResult<Self> {
        let shown = path.display();
        if !path.is_file() {
            return Err(CliError::model(format!("{shown}: no such plugin file")));
        }
        // A bare name (`libm.so.6`) would send the dynamic loader down its search path and
        // load some other file than the one just checked: load exactly this one.
        let exact = std::path::absolute(path)
            .map_err(|e| CliError::model(format!("{shown}: cannot resolve the plugin's path: {e}")))?;
        // SAFETY: loading a library runs its initialisers; the user named this file as a
        // Lumen plugin, which is the trust the command line gives it.
        let library = unsafe { Library::new(&exact) }
            .map_err(|e| CliError::model(format!("{shown}: cannot load the plugin: {e}")))?;
        // SAFETY: the symbol's type is the documented entry point's C signature.
        let entry: libloading::Symbol<'_, EntryPoint> =
            unsafe { library.get(ENTRY_POINT.as_bytes()) }.map_err(|_| {
                CliError::model(format!("{shown}: not a Lumen plugin: it exports no `{ENTRY_POINT}` function"))
            })?;
        // SAFETY: every field of the descriptor is an integer, a raw pointer or an optional
        // function pointer, for which all-zero bits are 0, NULL and None.
        let mut desc: lumen_model_desc = unsafe { std::mem::zeroed() };
        // SAFETY: `desc` is a valid, writable descriptor, as the contract requires.
        let code = unsafe { entry(&mut desc) };
        if code != 0 {
            return Err(CliError::model(format!("{shown}: {ENTRY_POINT} failed with error code {code}")));
        }
        let mut handle: *mut lumen_model = std::ptr::null_mut();
        // SAFETY: `desc` was filled by the plugin under the descriptor's contract; `handle`
        // is a valid out pointer.
        let status = unsafe { lumen_model_new(&desc, &mut handle) };
        let handle = match (status, NonNull::new(handle)) {
            (lumen_status::Ok, Some(handle)) => handle,
            _ => {
                // SAFETY: the library always returns a valid NUL-terminated string.
                let message = unsafe { CStr::from_ptr(lumen::ffi::boundary::lumen_last_error_message()) };
                return Err(CliError::model(format!(
                    "{shown}: the plugin's model descriptor is invalid: {}",
                    message.to_string_lossy()
                )));
            }
        };
        // SAFETY: the symbol's type is the documented optional function's C signature.
        let output_label = unsafe { library.get::<OutputLabel>(OUTPUT_LABEL.as_bytes()) }.ok().and_then(|label| {
            // SAFETY: the contract: NULL or a NUL-terminated string that lives as long as the library.
            let text = unsafe { label() };
            // SAFETY: checked for NULL first; NUL-terminated by the contract.
            (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
        });
        // SAFETY: `handle` came from `lumen_model_new` just above.
        // SAFETY: `handle` came from `lumen_model_new` just above.
        let input_len = unsafe { handle.as_ref() }.signature().input_len();
        let schema = match super::plugin_schema::read(&library, &shown.to_string(), input_len) {
            Ok(schema) => schema,
            Err(error) => {
                // SAFETY: the handle came from `lumen_model_new` and is not used again.
                unsafe { lumen_model_free(handle.as_ptr()) };
                return Err(error);
            }
        };
        Ok(Self { handle, output_label, schema, _library: library })
    }

    /// The plugin's model when it takes elements of type `E` (`ElementTypeMismatch`
    /// otherwise).
    pub fn typed<E: Element>(&self) -> lumen::Result<&dyn Model<E>> {
        // SAFETY: `handle` came from `lumen_model_new` and is freed only in `drop`.
        unsafe { self.handle.as_ref() }.typed::<E>()
    }

    /// The element type the plugin's model declares.
    pub fn element_type(&self) -> ElementType {
        // SAFETY: as in `typed`.
        unsafe { self.handle.as_ref() }.element_type()
    }

    /// The plugin's model's signature, whatever its element type.
    pub fn signature(&self) -> &ModelSignature {
        // SAFETY: as in `typed`.
        unsafe { self.handle.as_ref() }.signature()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        // SAFETY: the handle came from `lumen_model_new` and is freed once, here, while the
        // library (which holds the finaliser) is still loaded.
        unsafe { lumen_model_free(self.handle.as_ptr()) };
    }
}
