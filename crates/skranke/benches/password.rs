//! The cost of one argon2id password hash, to tune `PasswordParams::DEFAULT` (aim: 50–100 ms on
//! the 2-core reference machine). A sign-in does one verification, which costs the same as a hash.
//!
//!     cargo bench -p skranke --bench password
//!
//! Besides the default, a few neighbouring settings are measured so the choice can be revisited
//! on other hardware.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use skranke::auth::password::{NewPassword, PasswordParams, hash_password, verify_password};

fn bench(c: &mut Criterion) {
    let password = NewPassword::parse("correct horse battery staple").unwrap();
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    let candidates = [
        ("default", PasswordParams::DEFAULT),
        ("m32768_t2", PasswordParams { memory_kib: 32 * 1024, iterations: 2, parallelism: 1 }),
        ("m47104_t1", PasswordParams { memory_kib: 46 * 1024, iterations: 1, parallelism: 1 }),
        ("m65536_t2", PasswordParams { memory_kib: 64 * 1024, iterations: 2, parallelism: 1 }),
    ];
    for (name, params) in candidates {
        group
            .bench_function(format!("hash/{name}"), |b| b.iter(|| hash_password(&params, &password, [7; 16]).unwrap()));
    }
    let stored = hash_password(&PasswordParams::DEFAULT, &password, [7; 16]).unwrap();
    group.bench_function("verify/default", |b| b.iter(|| verify_password(stored.as_str(), password.expose())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
