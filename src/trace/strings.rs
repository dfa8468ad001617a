//! Interned text for the trace: labels are stored once, console text is
//! appended; events carry a 4-byte [`StrId`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: labels are short and hashed on every callback registration, where
/// SipHash's setup cost shows in profiles. No untrusted keys here.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type FnvBuild = BuildHasherDefault<Fnv>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StrId(pub u32);

#[derive(Debug, Default, Clone)]
pub struct Strings {
    data: String,
    spans: Vec<(u32, u32)>,
    interned: HashMap<Box<str>, StrId, FnvBuild>,
    /// The last text interned: callbacks scheduled in a loop repeat it.
    last_interned: Option<StrId>,
}

impl Strings {
    /// Stores `text` once and returns the same id for the same text.
    pub fn intern(&mut self, text: &str) -> StrId {
        if let Some(id) = self.last_interned
            && self.get(id) == text
        {
            return id;
        }
        let id = match self.interned.get(text) {
            Some(id) => *id,
            None => {
                let id = self.append(text);
                self.interned.insert(text.into(), id);
                id
            }
        };
        self.last_interned = Some(id);
        id
    }

    /// Stores `text` without looking for an earlier copy (console output).
    pub fn append(&mut self, text: &str) -> StrId {
        let start = self.data.len() as u32;
        self.data.push_str(text);
        self.spans.push((start, text.len() as u32));
        StrId(self.spans.len() as u32 - 1)
    }

    pub fn get(&self, id: StrId) -> &str {
        match self.spans.get(id.0 as usize) {
            Some(&(start, len)) => &self.data[start as usize..(start + len) as usize],
            None => "",
        }
    }

    pub fn text_bytes(&self) -> usize {
        self.data.len()
    }
}
