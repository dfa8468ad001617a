//! Grading an output order: exact, or partial credit from the longest
//! correct prefix and the pairs of lines in the right relative order,
//! with the first wrong line named. A racy program is graded against
//! every outcome node allows, and the best one counts.

/// How an answered order compares with the program's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// Every line in the right place, nothing missing.
    pub exact: bool,
    /// Lines given, in order, that match the output from its start.
    pub prefix: usize,
    /// Pairs of given lines whose relative order is right.
    pub pairs_right: usize,
    /// Pairs the full output has (`n (n - 1) / 2`).
    pub pairs_total: usize,
    /// The first given line out of place (an index into the answer);
    /// `None` when exact. Equal to the answer's length when the lines
    /// given are all right but some are missing.
    pub first_wrong: Option<usize>,
    /// Output lines the answer left out.
    pub missing: usize,
    /// The outcome graded against (an index into the accepted outcomes).
    pub outcome: usize,
    /// The output's length in lines.
    pub len: usize,
}

impl Grade {
    /// The credit, 0 to 1: 1 when exact, else half for the prefix and
    /// half for the pairs, each as a share of the full output.
    pub fn score(&self) -> f64 {
        if self.exact {
            return 1.0;
        }
        let n = self.len;
        if n == 0 {
            return 0.0;
        }
        let prefix = self.prefix as f64 / n as f64;
        let pairs = if self.pairs_total == 0 {
            prefix
        } else {
            self.pairs_right as f64 / self.pairs_total as f64
        };
        // Never full credit for an answer that is not exact.
        (0.5 * prefix + 0.5 * pairs).min(0.99)
    }
}

/// Grades `given` against the one right `expected` order. Lines that
/// repeat (an interval's label) are matched by occurrence: the second
/// `tick` given is the second `tick` printed.
pub fn grade(given: &[String], expected: &[String]) -> Grade {
    let prefix = given
        .iter()
        .zip(expected)
        .take_while(|(g, e)| g == e)
        .count();
    // Where each given line is printed (None: not printed, or printed
    // fewer times than given).
    let mut used = vec![false; expected.len()];
    let positions: Vec<Option<usize>> = given
        .iter()
        .map(|g| {
            let at = (0..expected.len()).find(|&i| !used[i] && &expected[i] == g)?;
            used[at] = true;
            Some(at)
        })
        .collect();
    let mut pairs_right = 0;
    for i in 0..positions.len() {
        for j in i + 1..positions.len() {
            if let (Some(a), Some(b)) = (positions[i], positions[j])
                && a < b
            {
                pairs_right += 1;
            }
        }
    }
    let n = expected.len();
    let missing = used.iter().filter(|u| !**u).count();
    let exact = given == expected;
    Grade {
        exact,
        prefix,
        pairs_right,
        pairs_total: n * n.saturating_sub(1) / 2,
        first_wrong: (!exact).then_some(prefix),
        missing,
        outcome: 0,
        len: n,
    }
}

/// Grades against every accepted outcome (a racy program has several)
/// and keeps the best: exact first, then the highest score.
pub fn grade_any(given: &[String], outcomes: &[&[String]]) -> Grade {
    let mut best: Option<Grade> = None;
    for (i, expected) in outcomes.iter().enumerate() {
        let mut g = grade(given, expected);
        g.outcome = i;
        let better = match &best {
            None => true,
            Some(b) => (g.exact && !b.exact) || (g.exact == b.exact && g.score() > b.score()),
        };
        if better {
            best = Some(g);
        }
    }
    best.unwrap_or_else(|| grade(given, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn an_exact_answer_scores_one_and_has_no_wrong_line() {
        let out = lines(&["a", "b", "c"]);
        let g = grade(&out, &out);
        assert!(g.exact);
        assert_eq!(g.first_wrong, None);
        assert_eq!(g.prefix, 3);
        assert_eq!(g.pairs_right, 3);
        assert_eq!(g.score(), 1.0);
    }

    #[test]
    fn a_swap_keeps_the_prefix_and_most_pairs() {
        let out = lines(&["a", "b", "c", "d"]);
        let g = grade(&lines(&["a", "c", "b", "d"]), &out);
        assert!(!g.exact);
        assert_eq!(g.prefix, 1);
        assert_eq!(g.first_wrong, Some(1));
        // 6 pairs; only (c, b) is reversed.
        assert_eq!(g.pairs_total, 6);
        assert_eq!(g.pairs_right, 5);
        let expected = 0.5 * (1.0 / 4.0) + 0.5 * (5.0 / 6.0);
        assert!((g.score() - expected).abs() < 1e-9, "{}", g.score());
    }

    #[test]
    fn a_reversed_answer_earns_nothing() {
        let out = lines(&["a", "b", "c"]);
        let g = grade(&lines(&["c", "b", "a"]), &out);
        assert_eq!(g.prefix, 0);
        assert_eq!(g.pairs_right, 0);
        assert_eq!(g.first_wrong, Some(0));
        assert_eq!(g.score(), 0.0);
    }

    #[test]
    fn missing_lines_are_counted_and_never_exact() {
        let out = lines(&["a", "b", "c"]);
        let g = grade(&lines(&["a", "b"]), &out);
        assert!(!g.exact);
        assert_eq!(g.missing, 1);
        assert_eq!(g.prefix, 2);
        // Everything given is right: the first wrong line is the gap.
        assert_eq!(g.first_wrong, Some(2));
        assert!(g.score() < 1.0);
    }

    #[test]
    fn repeated_lines_match_by_occurrence() {
        let out = lines(&["t", "x", "t"]);
        let g = grade(&lines(&["t", "t", "x"]), &out);
        assert_eq!(g.prefix, 1);
        // given positions: t->0, t->2, x->1: pairs (0,2) right, (0,1) right, (2,1) wrong.
        assert_eq!(g.pairs_right, 2);
        assert_eq!(g.missing, 0);
    }

    #[test]
    fn a_racy_program_accepts_every_outcome() {
        let a = lines(&["timeout", "immediate"]);
        let b = lines(&["immediate", "timeout"]);
        let outcomes = [a.as_slice(), b.as_slice()];
        let g = grade_any(&b, &outcomes);
        assert!(g.exact);
        assert_eq!(g.outcome, 1);
        let g = grade_any(&a, &outcomes);
        assert!(g.exact);
        assert_eq!(g.outcome, 0);
        let g = grade_any(&lines(&["timeout"]), &outcomes);
        assert!(!g.exact);
        assert_eq!(g.outcome, 0, "the closest outcome is kept");
    }

    #[test]
    fn an_unknown_line_is_wrong_where_it_stands() {
        let out = lines(&["a", "b"]);
        let g = grade(&lines(&["a", "zzz"]), &out);
        assert_eq!(g.first_wrong, Some(1));
        assert_eq!(g.missing, 1);
    }
}
