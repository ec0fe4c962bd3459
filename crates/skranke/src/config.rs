//! Settings: `skranke.toml` (path by `--config`), overridden by `SKRANKE_*` environment
//! variables, overridden by command-line flags.

use std::path::Path;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` or `postgres://…`.
    pub database: String,
    /// Base URL citizens reach the server at, for links in mail and calendar files.
    pub public_url: Option<String>,
    /// Minutes a slot is held while the citizen types the code.
    pub hold_minutes: i64,
    /// Wrong codes allowed before a hold is released.
    pub max_code_attempts: u8,
    /// `dev-mailbox` (kept in the database, shown at `/dev/mail`) or `smtp` (the `[smtp]` relay).
    pub mail_transport: String,
    /// The SMTP relay (`[smtp]`), used when `mail_transport = "smtp"`.
    pub smtp: crate::mail::smtp::SmtpConfig,
    /// Log filter, e.g. `info` or `skranke=debug`.
    pub log: String,
    /// Milliseconds an availability answer may be reused; 0 turns the cache off.
    pub availability_cache_ms: i64,
    /// Sign-in: password hashing cost, throttling, session timeouts, cookies (`[auth]`).
    pub auth: crate::app::accounts::AuthSettings,
    /// Hours before an appointment its reminder goes out (when the reminder route is on).
    pub reminder_lead_hours: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database: "sqlite://skranke.db".into(),
            public_url: None,
            hold_minutes: 10,
            max_code_attempts: 5,
            mail_transport: "dev-mailbox".into(),
            smtp: crate::mail::smtp::SmtpConfig::default(),
            log: "info".into(),
            availability_cache_ms: 1000,
            auth: crate::app::accounts::AuthSettings::default(),
            reminder_lead_hours: 24,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid configuration in {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid value for {name}: {value:?}")]
    Env { name: String, value: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Loads the file (when given or when `skranke.toml` exists) and applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let default_path = Path::new("skranke.toml");
        let path = path.or_else(|| default_path.exists().then_some(default_path));
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| ConfigError::Read { path: p.display().to_string(), source })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: p.display().to_string(), message: e.to_string() })?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let num = |name: &str, v: String| -> Result<i64, ConfigError> {
            v.parse().map_err(|_| ConfigError::Env { name: name.into(), value: v })
        };
        if let Some(v) = get("SKRANKE_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("SKRANKE_DATABASE") {
            self.database = v;
        }
        if let Some(v) = get("SKRANKE_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("SKRANKE_REMINDER_LEAD_HOURS") {
            self.reminder_lead_hours = num("SKRANKE_REMINDER_LEAD_HOURS", v)?;
        }
        if let Some(v) = get("SKRANKE_HOLD_MINUTES") {
            self.hold_minutes = num("SKRANKE_HOLD_MINUTES", v)?;
        }
        if let Some(v) = get("SKRANKE_MAX_CODE_ATTEMPTS") {
            let n = num("SKRANKE_MAX_CODE_ATTEMPTS", v.clone())?;
            self.max_code_attempts =
                u8::try_from(n).map_err(|_| ConfigError::Env { name: "SKRANKE_MAX_CODE_ATTEMPTS".into(), value: v })?;
        }
        if let Some(v) = get("SKRANKE_MAIL_TRANSPORT") {
            self.mail_transport = v;
        }
        if let Some(v) = get("SKRANKE_AVAILABILITY_CACHE_MS") {
            self.availability_cache_ms = num("SKRANKE_AVAILABILITY_CACHE_MS", v)?;
        }
        if let Some(v) = get("SKRANKE_SECURE_COOKIES") {
            self.auth.secure_cookies = match v.as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(ConfigError::Env { name: "SKRANKE_SECURE_COOKIES".into(), value: v }),
            };
        }
        if let Some(v) = get("SKRANKE_SMTP_HOST") {
            self.smtp.host = v;
        }
        if let Some(v) = get("SKRANKE_SMTP_PORT") {
            self.smtp.port = v.parse().map_err(|_| ConfigError::Env { name: "SKRANKE_SMTP_PORT".into(), value: v })?;
        }
        if let Some(v) = get("SKRANKE_SMTP_SECURITY") {
            self.smtp.security = match v.as_str() {
                "starttls" => crate::mail::smtp::Security::Starttls,
                "tls" => crate::mail::smtp::Security::Tls,
                "none" => crate::mail::smtp::Security::None,
                _ => return Err(ConfigError::Env { name: "SKRANKE_SMTP_SECURITY".into(), value: v }),
            };
        }
        if let Some(v) = get("SKRANKE_SMTP_EXTRA_CA") {
            self.smtp.extra_ca = Some(v.into());
        }
        if let Some(v) = get("SKRANKE_SMTP_FROM") {
            self.smtp.from = v;
        }
        if let Some(v) = get("SKRANKE_LOG") {
            self.log = v;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=168).contains(&self.reminder_lead_hours) {
            return Err(ConfigError::Invalid("reminder_lead_hours must be 1–168".into()));
        }
        if !(1..=120).contains(&self.hold_minutes) {
            return Err(ConfigError::Invalid("hold_minutes must be 1–120".into()));
        }
        if !(1..=20).contains(&self.max_code_attempts) {
            return Err(ConfigError::Invalid("max_code_attempts must be 1–20".into()));
        }
        if !(0..=60_000).contains(&self.availability_cache_ms) {
            return Err(ConfigError::Invalid("availability_cache_ms must be 0–60000".into()));
        }
        self.auth.validate().map_err(ConfigError::Invalid)?;
        match self.mail_transport.as_str() {
            "dev-mailbox" => Ok(()),
            "smtp" => self.transport().map(drop),
            _ => Err(ConfigError::Invalid("mail_transport must be dev-mailbox or smtp".into())),
        }
    }

    /// The outbox worker's transport as configured.
    pub fn transport(&self) -> Result<crate::mail::Transport, ConfigError> {
        match self.mail_transport.as_str() {
            "smtp" => crate::mail::smtp::SmtpSender::new(&self.smtp)
                .map(crate::mail::Transport::Smtp)
                .map_err(|e| ConfigError::Invalid(e.to_string())),
            _ => Ok(crate::mail::Transport::DevMailbox),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut c: Config = toml::from_str("listen = \"0.0.0.0:9000\"\nhold_minutes = 15").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        c.apply_env(|k| (k == "SKRANKE_LISTEN").then(|| "127.0.0.1:1".to_owned())).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.hold_minutes, 15);
        assert!(c.apply_env(|k| (k == "SKRANKE_HOLD_MINUTES").then(|| "ten".to_owned())).is_err());
        assert!(toml::from_str::<Config>("nonsense = 1").is_err());
    }

    #[test]
    fn the_reminder_lead_is_a_day_unless_set_and_within_a_week() {
        let mut c = Config::default();
        assert_eq!(c.reminder_lead_hours, 24);
        c.apply_env(|k| (k == "SKRANKE_REMINDER_LEAD_HOURS").then(|| "48".to_owned())).unwrap();
        assert_eq!(c.reminder_lead_hours, 48);
        assert!(c.validate().is_ok());
        c.reminder_lead_hours = 0;
        assert!(c.validate().is_err());
        c.reminder_lead_hours = 169;
        assert!(c.validate().is_err());
    }
}
