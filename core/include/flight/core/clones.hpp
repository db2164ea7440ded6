#pragma once
// FLIGHT_CLONES: a function compiled for AVX-512, AVX2 and plain x86-64 and picked at run time (GCC target_clones),
// for the element-wise loops of the trainer and the simulator.  The binary must run on any x86-64 machine (no
// -march=native), so the wide instruction sets come only through these clones.  Off under Clang (the fuzz build)
// and under AddressSanitizer, where ifunc resolution runs before the sanitizer is ready.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define FLIGHT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FLIGHT_CLONES
#endif
