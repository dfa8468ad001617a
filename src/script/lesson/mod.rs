//! Lessons as the script layer sees them: what a lesson file declares
//! ([`decl`]: metadata, knobs, expectations, questions; below the host) and
//! the functions that declare it ([`bindings`]: `lesson`, `param`,
//! `scenario`, `expect_output`, `expect_phase`, `question`; beside the Node
//! bindings). `crate::lesson` validates, checks and presents them.

pub mod bindings;
pub mod decl;

pub use decl::{Declarations, Expectation, LessonInfo, ParamDecl, ParamKind, ParamValue, Question};
