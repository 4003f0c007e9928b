//! Key exchange over a lent key share: ring's groups of [`crate::tls::provider`], each share
//! made and completed by the lender.

use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};

use super::{CryptoLender, KeyExchangeGroup, LentKeyShare};

/// X25519, P-256 and P-384 (ring's default groups, in its order), lent.
pub(super) fn lent_groups(lender: &'static dyn CryptoLender) -> Vec<&'static dyn SupportedKxGroup> {
    rustls::crypto::ring::DEFAULT_KX_GROUPS
        .iter()
        .filter_map(|ring| {
            let group = match ring.name() {
                NamedGroup::X25519 => KeyExchangeGroup::X25519,
                NamedGroup::secp256r1 => KeyExchangeGroup::Secp256r1,
                NamedGroup::secp384r1 => KeyExchangeGroup::Secp384r1,
                _ => return None,
            };
            let lent: &'static dyn SupportedKxGroup = Box::leak(Box::new(LentGroup {
                name: ring.name(),
                group,
                lender,
            }));
            Some(lent)
        })
        .collect()
}

/// One group whose shares the lender makes.
#[derive(Debug)]
struct LentGroup {
    name: NamedGroup,
    group: KeyExchangeGroup,
    lender: &'static dyn CryptoLender,
}

impl SupportedKxGroup for LentGroup {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let share = self
            .lender
            .start_key_exchange(self.group)
            .map_err(|why| Error::General(format!("the host lends no key share: {why}")))?;
        Ok(Box::new(LentExchange {
            public_key: share.public_key(),
            share,
            name: self.name,
        }))
    }

    fn name(&self) -> NamedGroup {
        self.name
    }
}

/// A key exchange in progress: the lender's share and its public key.
struct LentExchange {
    share: Box<dyn LentKeyShare>,
    public_key: Vec<u8>,
    name: NamedGroup,
}

impl ActiveKeyExchange for LentExchange {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, Error> {
        // The encodings TLS allows (RFC 8446 section 4.2.8.2), checked here as ring's provider
        // checks them, before the lender sees the key.
        let well_formed = match self.name {
            NamedGroup::X25519 => peer_pub_key.len() == 32,
            _ => peer_pub_key.first() == Some(&0x04),
        };
        if !well_formed {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        self.share
            .agree(peer_pub_key)
            .map(SharedSecret::from)
            .ok_or(PeerMisbehaved::InvalidKeyShare.into())
    }

    fn pub_key(&self) -> &[u8] {
        &self.public_key
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}
