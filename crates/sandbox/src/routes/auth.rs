//! `POST /api/auth/register`: creates a user and hands back a test bearer token.
//!
//! Body `{"email": "...", "password": "..."}` (JSON, whatever the Content-Type). 201
//! `{"user_id","email","token","token_type":"Bearer","expires_in":3600}`; 400 `{"error","field"}` when a
//! field is invalid (email needs `local@domain.tld`, at most 254 characters; password 8–128 characters
//! with a letter and a digit); 409 `{"error":"email already registered","field":"email"}` for a duplicate.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{hash_password, TOKEN_TTL_SECS};
use crate::routes::{json_body, reply, ApiError};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct RegisterReq {
    email: String,
    password: String,
}

fn field_error(field: &str, message: &str) -> ApiError {
    ApiError::bad_request(message).with("field", field)
}

/// Lower-cased email when it looks like `local@domain.tld`.
fn valid_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_ascii_lowercase();
    let bad = || field_error("email", "email must look like name@example.com");
    if email.is_empty() || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let domain_ok =
        domain.contains('.') && !domain.contains('@') && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        return Err(bad());
    }
    Ok(email)
}

fn valid_password(password: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if !(8..=128).contains(&len) {
        return Err(field_error("password", "password must be 8 to 128 characters"));
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(field_error("password", "password needs a letter and a digit"));
    }
    Ok(())
}

pub async fn register(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: RegisterReq = json_body(&body)?;
    let email = valid_email(&req.email)?;
    valid_password(&req.password)?;
    let duplicate = || ApiError::new(StatusCode::CONFLICT, "email already registered").with("field", "email");
    let exists = state
        .db
        .fetch_optional("SELECT id FROM users WHERE email = $1", &[email.clone().into()])
        .await?;
    if exists.is_some() {
        return Err(duplicate());
    }
    let user_id = uuid::Uuid::new_v4().to_string();
    let inserted = state
        .db
        .execute(
            "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)",
            &[
                user_id.clone().into(),
                email.clone().into(),
                hash_password(&req.password).into(),
            ],
        )
        .await;
    match inserted {
        Ok(_) => {}
        // Two registrations racing for one email: the second meets the unique key.
        Err(e) if e.is_unique_violation() => return Err(duplicate()),
        Err(e) => return Err(e.into()),
    }
    let token = state.tokens.issue(&user_id, &email);
    Ok(reply(
        StatusCode::CREATED,
        json!({"user_id": user_id, "email": email, "token": token, "token_type": "Bearer",
               "expires_in": TOKEN_TTL_SECS}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(
            valid_email(" Cutover-Test@Example.com ").ok().as_deref(),
            Some("cutover-test@example.com")
        );
        for bad in ["", "a", "a@b", "@b.c", "a@b..c", "a b@c.d", "a@b@c.d"] {
            assert!(valid_email(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(valid_password("Test123!").is_ok());
        assert!(valid_password("short1").is_err());
        assert!(valid_password("nodigitshere").is_err());
    }
}
