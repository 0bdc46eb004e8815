/// Identifies one provided type inside a registry.
///
/// The binding layer derives keys from Python type identity; the domain only
/// compares and hashes them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u64);
