//! Interned text for the trace: labels are stored once, console text is
//! appended; events carry a 4-byte [`StrId`].

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StrId(pub u32);

#[derive(Debug, Default, Clone)]
pub struct Strings {
    data: String,
    spans: Vec<(u32, u32)>,
    interned: HashMap<Box<str>, StrId>,
}

impl Strings {
    /// Stores `text` once and returns the same id for the same text.
    pub fn intern(&mut self, text: &str) -> StrId {
        if let Some(id) = self.interned.get(text) {
            return *id;
        }
        let id = self.append(text);
        self.interned.insert(text.into(), id);
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
