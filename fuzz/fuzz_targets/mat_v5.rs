#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| repscope::fuzzing::mat_v5(data));
