#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xfollow_emulator::fuzz::oauth_header(data));
