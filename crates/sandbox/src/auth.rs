//! Test bearer tokens and password hashes — sandbox-grade, not security.
//!
//! Owns issuing JWT-shaped tokens (`header.payload.signature`, base64url, signed with SHA-256 over a key
//! made fresh at each start), checking them, the fixed test token, and salted password hashes. Reading
//! the `Authorization` header into a [`Caller`] is here too; what a caller may do is the routes' business.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::TEST_USER_ID;
use crate::routes::ApiError;

/// Lifetime of an issued token, in seconds.
pub const TOKEN_TTL_SECS: u64 = 3600;

/// The token every sandbox accepts by default, so the checklist's `$TEST_JWT` works without registering.
pub const DEFAULT_TEST_TOKEN: &str = "sandbox-test-jwt";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: String,
    iat: u64,
    exp: u64,
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
}

/// Issues and checks tokens for one sandbox.
pub struct Tokens {
    key: String,
    test_token: String,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Tokens {
    pub fn new(test_token: String) -> Tokens {
        Tokens {
            key: uuid::Uuid::new_v4().to_string(),
            test_token,
        }
    }

    fn sign(&self, signing_input: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.key.as_bytes());
        h.update(b".");
        h.update(signing_input.as_bytes());
        URL_SAFE_NO_PAD.encode(h.finalize())
    }

    pub fn issue(&self, user_id: &str, email: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"SBX-SHA256","typ":"JWT"}"#);
        let iat = now_secs();
        let claims = Claims {
            sub: user_id.to_owned(),
            email: email.to_owned(),
            iat,
            exp: iat + TOKEN_TTL_SECS,
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let input = format!("{header}.{payload}");
        let sig = self.sign(&input);
        format!("{input}.{sig}")
    }

    /// The caller a token stands for, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Caller, &'static str> {
        if !self.test_token.is_empty() && token == self.test_token {
            return Ok(Caller {
                user_id: TEST_USER_ID.to_owned(),
            });
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("malformed bearer token");
        };
        if self.sign(&format!("{h}.{p}")) != s {
            return Err("invalid bearer token signature");
        }
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or("malformed bearer token payload")?;
        if claims.exp <= now_secs() {
            return Err("bearer token expired");
        }
        Ok(Caller { user_id: claims.sub })
    }

    /// Reads `Authorization: Bearer <token>` and checks it; 401 with `WWW-Authenticate: Bearer` otherwise.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let unauthorized = |msg: &str| {
            ApiError::new(StatusCode::UNAUTHORIZED, msg).with_header(header::WWW_AUTHENTICATE, "Bearer")
        };
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("missing Authorization: Bearer token"))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("Authorization must be `Bearer <token>`"))?;
        self.verify(token).map_err(unauthorized)
    }
}

/// `sha256$<salt>$<hex digest of salt + password>`.
pub fn hash_password(password: &str) -> String {
    let salt = uuid::Uuid::new_v4().simple().to_string();
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(password.as_bytes());
    format!("sha256${salt}${}", hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let tokens = Tokens::new(DEFAULT_TEST_TOKEN.to_owned());
        let t = tokens.issue("u1", "a@example.com");
        assert_eq!(tokens.verify(&t).map(|c| c.user_id), Ok("u1".to_owned()));
        let mut tampered = t.clone();
        tampered.push('x');
        assert!(tokens.verify(&tampered).is_err());
        let other = Tokens::new(String::new());
        assert!(
            other.verify(&t).is_err(),
            "another sandbox's key must not verify it"
        );
        assert!(
            other.verify(DEFAULT_TEST_TOKEN).is_err(),
            "an empty test token disables it"
        );
        assert_eq!(
            tokens.verify(DEFAULT_TEST_TOKEN).map(|c| c.user_id),
            Ok(TEST_USER_ID.to_owned())
        );
    }

    #[test]
    fn password_hashes_are_salted() {
        assert_ne!(hash_password("Test123!"), hash_password("Test123!"));
    }
}
