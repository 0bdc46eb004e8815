/// Identifies one provided type inside a registry.
///
/// The binding layer derives keys from Python type identity; the domain only
/// compares and hashes them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u64);

/// Hashes a key (an object address) with one multiplication. Keys are
/// already unique; SipHash's protection against chosen inputs buys nothing
/// here and costs a measurable share of every registration and resolve.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, value: u64) {
        // Fibonacci hashing; the high bits carry the entropy of the address.
        self.0 = (self.0 ^ value ^ (value >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The hasher of every map and set keyed by [`Key`].
pub type KeyBuildHasher = std::hash::BuildHasherDefault<KeyHasher>;
/// A map keyed by [`Key`].
pub type KeyMap<V> = std::collections::HashMap<Key, V, KeyBuildHasher>;
/// A set of [`Key`]s.
pub type KeySet = std::collections::HashSet<Key, KeyBuildHasher>;
