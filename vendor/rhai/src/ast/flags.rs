//! Module defining script options.

use bitflags::bitflags;
#[cfg(feature = "no_std")]
use std::prelude::v1::*;

bitflags! {
    /// _(internals)_ Bit-flags containing [`AST`][crate::AST] node configuration options.
    /// Exported under the `internals` feature only.
    #[derive(PartialEq, Eq, PartialOrd, Ord, Hash, Clone, Copy)]
    pub struct ASTFlags: u8 {
        /// The [`AST`][crate::AST] node is read-only.
        const CONSTANT = 0b_0000_0001;
        /// The [`AST`][crate::AST] node is exposed to the outside (i.e. public).
        const EXPORTED = 0b_0000_0010;
        /// The [`AST`][crate::AST] node is negated (i.e. whatever information is the opposite).
        const NEGATED = 0b_0000_0100;
        /// The [`AST`][crate::AST] node breaks out of normal control flow.
        const BREAK = 0b_0000_1000;
        /// workbench: a variable definition whose initializer holds a
        /// closure that captures the variable being defined
        /// (`let t = setInterval(|| clearInterval(t), 10)`). The variable
        /// exists (as `()`) while its initializer is evaluated, and the
        /// closures see the value it is then given, as in JavaScript.
        const RECURSIVE = 0b_0001_0000;
        /// workbench: a variable that closures earlier in its block name
        /// before its `let` (JavaScript hoists `let` to the top of its
        /// block): defined as `()` where the block starts, the rest of the
        /// block looking variables up by name.
        const HOISTED = 0b_0010_0000;
        /// workbench: the `let` of a [`HOISTED`][ASTFlags::HOISTED]
        /// variable: it gives the variable its value (through the shared
        /// cell the closures captured) instead of defining another one.
        const HOISTED_INIT = 0b_0100_0000;
    }
}

impl ASTFlags {
    /// No flags.
    pub const NONE: Self = Self::empty();
}

impl std::fmt::Debug for ASTFlags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}
