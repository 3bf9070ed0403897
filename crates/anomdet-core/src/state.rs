//! An online detector's learnt state as bytes, so a later run resumes exactly where an earlier
//! one stopped (scheduled detection carries it from run to run). The bytes are postcard's
//! encoding of the detector's own struct. [`FORMAT`] names the layout of every detector's
//! state; a test pins the encodings, so changing a layout without raising it fails, and bytes
//! of another format are refused, never misread.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The layout version of all saved states; raise it when any detector's state changes shape.
pub const FORMAT: i32 = 3;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("this detector keeps no state between runs (it has no online mode)")]
    NotSaved,
    #[error("the saved state does not decode as this detector's ({0})")]
    Corrupt(String),
}

/// The bytes of a detector's state.
pub fn save<T: Serialize>(detector: &T) -> Option<Vec<u8>> {
    postcard::to_stdvec(detector).ok()
}

/// Replace `target` by the state in `bytes`; every byte must be used.
pub fn restore<T: DeserializeOwned>(target: &mut T, bytes: &[u8]) -> Result<(), StateError> {
    let (state, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| StateError::Corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(StateError::Corrupt(format!("{} bytes left over", rest.len())));
    }
    *target = state;
    Ok(())
}
