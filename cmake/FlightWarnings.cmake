# flight_set_options(target): the warning and sanitizer flags every project target shares.
# No -march=native: the binary must run on any x86-64 machine it is copied to.
function(flight_set_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(FLIGHT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FLIGHT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${FLIGHT_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${FLIGHT_SANITIZE})
  endif()
  if(FLIGHT_FUZZ)
    # Coverage instrumentation for libFuzzer in every library; the fuzz targets add the fuzzer's main (fuzz/).
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link -fno-sanitize-recover=all)
  endif()
endfunction()
