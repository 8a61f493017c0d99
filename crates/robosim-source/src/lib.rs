//! A robot program's text as robosim compiles it. The guest compiles it inside the sandbox,
//! the host (robosim-sandbox's compiler) outside it; both must see the same text, so the
//! rewriting lives here, in one place, for both.
//!
//! ```
//! use robosim_source::{original_message, rename};
//!
//! // A robot function named without being called is renamed, so that it is undefined as in
//! // the reference's rewrite; a call is left alone.
//! let renamed = rename("def task_program():\n    f = ask\n    ask('', 'q', ['a'])\n");
//! assert_eq!(renamed, "def task_program():\n    f = ask\u{b7}\n    ask('', 'q', ['a'])\n");
//! assert_eq!(original_message("name 'ask\u{b7}' is not defined"), "name 'ask' is not defined");
//! ```

mod bare;

pub use bare::{original_message, rename};
