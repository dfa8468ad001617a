//! Which items a drill session asks, in which order: the learner's
//! filters, then spaced repetition (due items first, most overdue first;
//! then items never seen, easier levels first; then the rest, least
//! recently seen first), or an interview set mixed across topics and
//! levels. Every shuffle is seeded, so `--seed N` repeats a session.

use super::Item;
use super::bank::{Bank, topic_names};
use super::progress::DrillProgress;
use crate::r#gen::Rng;

/// The learner's `--topic` and `--level`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub topic: Option<String>,
    pub level: Option<u8>,
}

impl Filter {
    pub fn accepts(&self, item: &Item) -> bool {
        self.topic.as_ref().is_none_or(|t| *t == item.topic)
            && self.level.is_none_or(|l| l == item.level)
    }

    /// An unknown topic, or a filter no item passes: a message that lists
    /// what there is (and the closest topic name).
    pub fn check(&self, bank: &Bank) -> Result<(), String> {
        if let Some(topic) = &self.topic
            && !bank.topics().contains(&topic.as_str())
        {
            let close = bank
                .topics()
                .into_iter()
                .filter(|t| strsim::jaro(t, topic) > 0.7)
                .max_by(|a, b| strsim::jaro(a, topic).total_cmp(&strsim::jaro(b, topic)));
            let tip = close
                .map(|t| format!("\n\n  tip: a similar topic exists: '{t}'"))
                .unwrap_or_default();
            return Err(format!(
                "no drill topic `{topic}`{tip}\n\nthe topics: {}",
                bank.topics().join(", ")
            ));
        }
        if !bank.items.iter().any(|i| self.accepts(i)) {
            let levels: std::collections::BTreeSet<u8> = bank
                .items
                .iter()
                .filter(|i| self.topic.as_ref().is_none_or(|t| *t == i.topic))
                .map(|i| i.level)
                .collect();
            return Err(format!(
                "no drill item has topic {} and level {} (that topic has levels {:?}; topics: {})",
                self.topic.as_deref().unwrap_or("any"),
                self.level.map_or("any".to_string(), |l| l.to_string()),
                levels,
                topic_names()
            ));
        }
        Ok(())
    }
}

/// Practice for as long as the learner likes, or a timed interview set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Practice,
    Interview { items: usize, minutes: u64 },
}

/// Shuffles in place with a seeded Fisher-Yates.
pub fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

/// A stable 64-bit hash of a string (FNV-1a): seeds an item's pool shuffle.
pub fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The items of a session, as indices into `bank.items`.
pub fn order(
    bank: &Bank,
    filter: &Filter,
    progress: &DrillProgress,
    seed: u64,
    plan: Plan,
    now: u64,
) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let candidates: Vec<usize> = (0..bank.items.len())
        .filter(|&i| filter.accepts(&bank.items[i]))
        .collect();
    match plan {
        Plan::Practice => practice(bank, candidates, progress, &mut rng, now),
        Plan::Interview { items, .. } => interview(bank, candidates, &mut rng, items),
    }
}

fn practice(
    bank: &Bank,
    candidates: Vec<usize>,
    progress: &DrillProgress,
    rng: &mut Rng,
    now: u64,
) -> Vec<usize> {
    let (mut due, mut new, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for i in candidates {
        match progress.item(&bank.items[i].id) {
            Some(p) if p.due <= now => due.push((p.due, i)),
            Some(p) => rest.push((p.last, i)),
            None => new.push(i),
        }
    }
    due.sort();
    rest.sort();
    shuffle(&mut new, rng);
    // Easier first; authored items before generated ones of a level.
    new.sort_by_key(|&i| {
        let item = &bank.items[i];
        (item.level, item.origin == super::Origin::Generated)
    });
    due.into_iter()
        .map(|(_, i)| i)
        .chain(new)
        .chain(rest.into_iter().map(|(_, i)| i))
        .collect()
}

/// Round-robin over the topics (in a shuffled order), a shuffled item of
/// each in turn, preferring a level not yet in the set.
fn interview(bank: &Bank, candidates: Vec<usize>, rng: &mut Rng, n: usize) -> Vec<usize> {
    let mut topics: Vec<&str> = Vec::new();
    for &i in &candidates {
        if !topics.contains(&bank.items[i].topic.as_str()) {
            topics.push(&bank.items[i].topic);
        }
    }
    shuffle(&mut topics, rng);
    let mut by_topic: Vec<Vec<usize>> = topics
        .iter()
        .map(|t| {
            let mut v: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| bank.items[i].topic == *t)
                .collect();
            shuffle(&mut v, rng);
            v
        })
        .collect();
    let mut out = Vec::new();
    let mut levels = std::collections::BTreeSet::new();
    while out.len() < n && by_topic.iter().any(|v| !v.is_empty()) {
        for list in by_topic.iter_mut() {
            if out.len() >= n || list.is_empty() {
                continue;
            }
            let pick = list
                .iter()
                .position(|&i| !levels.contains(&bank.items[i].level))
                .unwrap_or(0);
            let i = list.remove(pick);
            levels.insert(bank.items[i].level);
            if levels.len() == super::MAX_LEVEL as usize {
                levels.clear();
            }
            out.push(i);
        }
    }
    out
}

/// One answered item of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub index: usize,
    /// Credit, 0 to 1.
    pub score: f64,
    /// Time from showing the item to submitting, in seconds.
    pub seconds: f64,
}

/// An interview set's report: score per topic, time per item, what to
/// review.
pub fn report(bank: &Bank, answered: &[Answered], asked: usize, minutes: u64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let total: f64 = answered.iter().map(|a| a.score).sum();
    let time: f64 = answered.iter().map(|a| a.seconds).sum();
    let _ = writeln!(
        s,
        "Interview set: {:.1} / {asked} points, {} of {asked} answered in {}:{:02} (of {minutes}:00)",
        total,
        answered.len(),
        (time as u64) / 60,
        (time as u64) % 60
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "per topic");
    let mut topics: Vec<&str> = Vec::new();
    for a in answered {
        let t = bank.items[a.index].topic.as_str();
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    for t in topics {
        let of: Vec<&Answered> = answered
            .iter()
            .filter(|a| bank.items[a.index].topic == t)
            .collect();
        let score: f64 = of.iter().map(|a| a.score).sum();
        let _ = writeln!(
            s,
            "  {t:<18} {:>3.0}%  ({} item{})",
            100.0 * score / of.len() as f64,
            of.len(),
            if of.len() == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "per item");
    for (n, a) in answered.iter().enumerate() {
        let item = &bank.items[a.index];
        let _ = writeln!(
            s,
            "  {:>2}. {:<22} L{} {:>4.0}%  {:>5.1} s",
            n + 1,
            item.id,
            item.level,
            100.0 * a.score,
            a.seconds
        );
    }
    let review: Vec<&str> = answered
        .iter()
        .filter(|a| a.score < 1.0)
        .map(|a| bank.items[a.index].id.as_str())
        .collect();
    let _ = writeln!(s);
    if review.is_empty() && answered.len() == asked {
        let _ = writeln!(s, "nothing to review: every answer was exact");
    } else {
        let _ = writeln!(s, "to review: {}", review.join(", "));
        if answered.len() < asked {
            let _ = writeln!(s, "not reached: {} item(s)", asked - answered.len());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::{Answer, Kind, Module, Origin};

    fn item(id: &str, topic: &str, level: u8) -> Item {
        Item {
            id: id.into(),
            kind: Kind::Choice,
            topic: topic.into(),
            level,
            module: Module::Cjs,
            js: None,
            answer: Answer::Choice(0),
            choices: vec!["a".into(), "b".into()],
            explain: String::new(),
            racy: false,
            answers: Vec::new(),
            ask: "?".into(),
            origin: Origin::Concept,
            rhai: None,
            output: Vec::new(),
            lesson: None,
            seed: None,
        }
    }

    fn bank() -> Bank {
        let mut items = Vec::new();
        for (t, topic) in ["event-loop", "buffers", "cluster"].iter().enumerate() {
            for l in 1..=5u8 {
                items.push(item(&format!("{topic}-{l}"), topic, l));
                items.push(item(&format!("{topic}-{l}b-{t}"), topic, l));
            }
        }
        Bank { items }
    }

    #[test]
    fn the_same_seed_gives_the_same_session() {
        let b = bank();
        let p = DrillProgress::in_memory();
        let f = Filter::default();
        let a = order(&b, &f, &p, 7, Plan::Practice, 0);
        assert_eq!(a, order(&b, &f, &p, 7, Plan::Practice, 0));
        assert_ne!(a, order(&b, &f, &p, 8, Plan::Practice, 0));
        assert_eq!(a.len(), b.items.len());
    }

    #[test]
    fn due_items_come_first_then_new_ones_easiest_first() {
        let b = bank();
        let mut p = DrillProgress::in_memory();
        p.record("buffers-4", 0.0, false, 1000);
        let o = order(
            &b,
            &Filter::default(),
            &p,
            1,
            Plan::Practice,
            1000 + 2 * 86_400,
        );
        assert_eq!(b.items[o[0]].id, "buffers-4");
        let levels: Vec<u8> = o[1..].iter().map(|&i| b.items[i].level).collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
    }

    #[test]
    fn an_interview_mixes_topics_and_levels() {
        let b = bank();
        let o = order(
            &b,
            &Filter::default(),
            &DrillProgress::in_memory(),
            3,
            Plan::Interview {
                items: 6,
                minutes: 20,
            },
            0,
        );
        assert_eq!(o.len(), 6);
        let topics: std::collections::BTreeSet<&str> =
            o.iter().map(|&i| b.items[i].topic.as_str()).collect();
        assert_eq!(topics.len(), 3);
        let levels: std::collections::BTreeSet<u8> = o.iter().map(|&i| b.items[i].level).collect();
        assert!(levels.len() >= 5, "{levels:?}");
    }

    #[test]
    fn filters_and_their_messages() {
        let b = bank();
        let f = Filter {
            topic: Some("bufers".into()),
            level: None,
        };
        let e = f.check(&b).expect_err("unknown topic");
        assert!(
            e.contains("no drill topic `bufers`") && e.contains("'buffers'"),
            "{e}"
        );
        let f = Filter {
            topic: Some("buffers".into()),
            level: Some(2),
        };
        assert!(f.check(&b).is_ok());
        let o = order(&b, &f, &DrillProgress::in_memory(), 1, Plan::Practice, 0);
        assert!(
            o.iter()
                .all(|&i| b.items[i].topic == "buffers" && b.items[i].level == 2)
        );
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn the_report_names_topics_times_and_items_to_review() {
        let b = bank();
        let answered = vec![
            Answered {
                index: 0,
                score: 1.0,
                seconds: 12.0,
            },
            Answered {
                index: 10,
                score: 0.5,
                seconds: 30.5,
            },
        ];
        let r = report(&b, &answered, 3, 20);
        assert!(r.contains("1.5 / 3 points"), "{r}");
        assert!(r.contains("event-loop") && r.contains("100%"), "{r}");
        assert!(r.contains("buffers") && r.contains("50%"), "{r}");
        assert!(r.contains("30.5 s"), "{r}");
        assert!(r.contains("to review: buffers-1"), "{r}");
        assert!(r.contains("not reached: 1"), "{r}");
    }
}
