//! Edit distance (optimal string alignment, the usual "Damerau" of typo checkers), the Danish
//! keyboard, and the hashed deletion neighbourhoods the index uses to find candidates quickly.

/// Longest label (in characters) the edit-distance machinery looks at; DNS labels are at most 63
/// octets, so every real label fits.
pub(crate) const MAX_LABEL: usize = 63;

/// Damerau (optimal string alignment) distance between `a` and `b`, or `None` when it exceeds
/// `limit`.
pub(crate) fn osa_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit || a.len() > MAX_LABEL || b.len() > MAX_LABEL {
        return None;
    }
    let width = b.len() + 1;
    // Three rolling rows: two back (for transpositions), previous and current. They rotate by
    // reference: moving the arrays copied 1 KB a row, most of a call's cost.
    let mut rows = [[0usize; MAX_LABEL + 1]; 3];
    let [back, prev, cur] = &mut rows;
    let (mut back, mut prev, mut cur) = (back, prev, cur);
    for (j, cell) in prev.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(back[j - 2] + 1);
            }
            cur[j] = best;
            row_min = row_min.min(best);
        }
        if row_min > limit {
            return None;
        }
        (back, prev, cur) = (prev, cur, back);
    }
    let distance = prev[b.len()];
    (distance <= limit).then_some(distance)
}

/// What a single edit between two labels was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Two adjacent letters swapped.
    Transposition,
    /// One letter replaced by a key next to it on a Danish keyboard, or a neighbouring key struck
    /// along with the intended one.
    Keyboard,
    /// Any other single edit, or more than one.
    Other,
}

/// Classifies the difference between a typed label and the protected one it is one edit from.
pub(crate) fn single_edit(typed: &[char], meant: &[char]) -> Edit {
    let prefix = typed.iter().zip(meant).take_while(|(a, b)| a == b).count();
    if typed.len() == meant.len() {
        let rest_equal = |from: usize| typed.get(from..) == meant.get(from..);
        if rest_equal(prefix + 1) {
            if let (Some(&t), Some(&m)) = (typed.get(prefix), meant.get(prefix))
                && keyboard_neighbours(t, m)
            {
                return Edit::Keyboard;
            }
            return Edit::Other;
        }
        let swapped = typed.get(prefix) == meant.get(prefix + 1) && typed.get(prefix + 1) == meant.get(prefix);
        if swapped && rest_equal(prefix + 2) {
            return Edit::Transposition;
        }
        return Edit::Other;
    }
    if typed.len() == meant.len() + 1 && typed.get(prefix + 1..) == meant.get(prefix..) {
        // One extra key: a fat finger if it neighbours the key before or after it.
        if let Some(&extra) = typed.get(prefix) {
            let before = prefix.checked_sub(1).and_then(|i| typed.get(i)).copied();
            let after = typed.get(prefix + 1).copied();
            if [before, after].into_iter().flatten().any(|c| keyboard_neighbours(extra, c)) {
                return Edit::Keyboard;
            }
        }
    }
    Edit::Other
}

/// Rows of a Danish keyboard (letters and digits), each row offset half a key from the one above.
const ROWS: [&str; 4] = ["1234567890+", "qwertyuiopå", "asdfghjklæø", "zxcvbnm,.-"];

fn key_position(c: char) -> Option<(usize, usize)> {
    ROWS.iter().enumerate().find_map(|(row, keys)| keys.chars().position(|k| k == c).map(|column| (row, column)))
}

/// Whether two keys touch on a Danish keyboard (same row side by side, or diagonally adjacent).
pub(crate) fn keyboard_neighbours(a: char, b: char) -> bool {
    let (Some((ra, ca)), Some((rb, cb))) = (key_position(a), key_position(b)) else {
        return false;
    };
    if a == b {
        return false;
    }
    match rb as isize - ra as isize {
        0 => ca.abs_diff(cb) == 1,
        // The row below sits half a key to the right: its keys under (ca-1, ca) touch.
        1 => cb == ca || cb + 1 == ca,
        -1 => ca == cb || ca + 1 == cb,
        _ => false,
    }
}

const BASE: u64 = 0x0000_0100_0000_01b3;

/// The inverse of [`BASE`] modulo 2^64 (BASE is odd, so it has one): dividing a polynomial hash
/// by BASE shifts its characters one place, which is what deleting a character before them does.
const BASE_INV: u64 = inverse(BASE);

/// Newton's iteration for the inverse of an odd number modulo 2^64 (each step doubles the
/// correct low bits: 3 → 6 → 12 → 24 → 48 → 96).
const fn inverse(odd: u64) -> u64 {
    let mut x = odd; // correct to 3 bits for any odd number
    let mut step = 0;
    while step < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(x)));
        step += 1;
    }
    x
}

/// The odd constant a form's polynomial hash is multiplied by for its key.
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// A form's key: one multiply, whose upper bits are well mixed (the filter and the table take
/// theirs from there). Multiplying distributes over the sums a deletion hash is made of, so the
/// two-deletion keys are one addition each ([`Deletions`]). The form's length is not mixed in:
/// forms of each length have their own region of the filter and the table
/// ([`filter_region`](super::index::filter_region)), so they never meet.
#[inline]
fn finish(h: u64) -> u64 {
    h.wrapping_mul(MIX)
}

/// The hashes of a label's deletion forms: the strings made by deleting 0, 1 or 2 of its
/// characters. Two labels within edit distance `k` share at least one such hash when both sides
/// go to depth `k` (a substitution or a transposition is one deletion on each side).
///
/// The hash of a string is the polynomial `Σ (c + 1)·B^(len-1-pos)` (mod 2^64), whichever
/// deletions produced it, so equal strings meet. With `S[p]` the full string's suffix sums and
/// `L[i] = S[0] - S[i]`, deleting `i` gives `L[i]/B + S[i+1]`, and deleting `i < j` gives
/// `L[i]/B² + (S[i+1] - S[j])/B + S[j+1]`, which splits into `U[i] + T[j]`: one addition per pair,
/// which matters because a 12-letter label has 66 pairs and this runs on every check.
pub(crate) struct Deletions {
    /// `suffix[p] = Σ_{k ≥ p} (c_k + 1)·B^(n-1-k)`
    suffix: [u64; MAX_LABEL + 2],
    /// `tail[j] = (S[j+1] - S[j]/B)·MIX`, the part of a two-deletion key that depends on `j`
    /// only ([`finish`] distributes over the sum).
    tail: [u64; MAX_LABEL + 1],
    n: usize,
}

impl Deletions {
    /// The deletion forms of `chars` (of its first [`MAX_LABEL`] characters: longer labels have
    /// no deletion forms, and callers skip them). Not an `Option`: this is built for every name
    /// checked, and returning the 1 KB struct inside one copied it.
    #[inline]
    pub(crate) fn new(chars: &[char]) -> Self {
        let chars = chars.get(..MAX_LABEL).unwrap_or(chars);
        let n = chars.len();
        let mut forms = Deletions { suffix: [0; MAX_LABEL + 2], tail: [0; MAX_LABEL + 1], n };
        let mut power = 1u64;
        for k in (0..n).rev() {
            forms.suffix[k] = forms.suffix[k + 1].wrapping_add((u64::from(chars[k]) + 1).wrapping_mul(power));
            power = power.wrapping_mul(BASE);
        }
        for j in 0..n {
            forms.tail[j] = finish(forms.suffix[j + 1].wrapping_sub(forms.suffix[j].wrapping_mul(BASE_INV)));
        }
        forms
    }

    /// Calls `emit` with the hash of every form with exactly `depth` (0, 1 or 2) characters
    /// deleted; nothing for a deeper `depth` or one longer than the label.
    #[inline]
    pub(crate) fn each(&self, depth: usize, mut emit: impl FnMut(u64)) {
        let (n, suffix) = (self.n, &self.suffix);
        let whole = suffix[0];
        match depth {
            0 => emit(finish(whole)),
            1 if n >= 1 => {
                for i in 0..n {
                    let left = whole.wrapping_sub(suffix[i]);
                    emit(finish(left.wrapping_mul(BASE_INV).wrapping_add(suffix[i + 1])));
                }
            }
            2 if n >= 2 => {
                let inv2 = BASE_INV.wrapping_mul(BASE_INV);
                // T[j] = S[j+1] - S[j]/B (`tail`, already times MIX); U[i] = L[i]/B² + S[i+1]/B.
                let tail = &self.tail;
                for i in 0..n {
                    let head = finish(
                        whole
                            .wrapping_sub(suffix[i])
                            .wrapping_mul(inv2)
                            .wrapping_add(suffix[i + 1].wrapping_mul(BASE_INV)),
                    );
                    for &t in &tail[i + 1..n] {
                        emit(head.wrapping_add(t));
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every deletion hash of `chars` down to `depth`, with the form's length.
    fn deletion_hashes(chars: &[char], depth: usize, mut emit: impl FnMut(u64, usize)) {
        let forms = Deletions::new(chars);
        for d in 0..=depth.min(chars.len()).min(2) {
            forms.each(d, |hash| emit(hash, chars.len() - d));
        }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn osa_distance() {
        assert_eq!(osa_within(&chars("fredericia"), &chars("fredericia"), 2), Some(0));
        assert_eq!(osa_within(&chars("fredreicia"), &chars("fredericia"), 2), Some(1));
        assert_eq!(osa_within(&chars("fredrcia"), &chars("fredericia"), 2), Some(2));
        assert_eq!(osa_within(&chars("fred"), &chars("fredericia"), 2), None);
        assert_eq!(osa_within(&chars("vejen"), &chars("vejle"), 1), None);
    }

    #[test]
    fn edits_are_classified() {
        assert_eq!(single_edit(&chars("fredreicia"), &chars("fredericia")), Edit::Transposition);
        assert_eq!(single_edit(&chars("fredwricia"), &chars("fredericia")), Edit::Keyboard);
        assert_eq!(single_edit(&chars("fredericias"), &chars("fredericia")), Edit::Keyboard);
        assert_eq!(single_edit(&chars("fredxricia"), &chars("fredericia")), Edit::Other);
        assert!(keyboard_neighbours('l', 'æ') && keyboard_neighbours('ø', 'æ') && keyboard_neighbours('p', 'å'));
        assert!(keyboard_neighbours('k', 'm') && keyboard_neighbours('z', 'a') && !keyboard_neighbours('a', 'p'));
    }

    /// The polynomial hash of a string built by hand, for checking the fast formula.
    fn naive(s: &[char]) -> u64 {
        finish(s.iter().fold(0u64, |h, &c| h.wrapping_mul(BASE).wrapping_add(u64::from(c) + 1)))
    }

    #[test]
    fn deletion_hashes_equal_the_hash_of_the_deleted_string() {
        assert_eq!(BASE.wrapping_mul(BASE_INV), 1);
        let word = chars("fredericia-ø");
        let mut got = Vec::new();
        deletion_hashes(&word, 2, |h, _| got.push(h));
        let mut want = vec![naive(&word)];
        for i in 0..word.len() {
            let mut w = word.clone();
            w.remove(i);
            want.push(naive(&w));
        }
        for i in 0..word.len() {
            for j in i + 1..word.len() {
                let mut w = word.clone();
                w.remove(j);
                w.remove(i);
                want.push(naive(&w));
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn deletion_neighbourhoods_meet() {
        let mut a = Vec::new();
        deletion_hashes(&chars("fredericia"), 2, |h, _| a.push(h));
        for typo in ["fredrcia", "frederixia", "fredreicia", "fredericiaa", "fraderisia"] {
            let mut hit = false;
            deletion_hashes(&chars(typo), 2, |h, _| hit |= a.contains(&h));
            assert!(hit, "{typo}");
        }
    }
}
