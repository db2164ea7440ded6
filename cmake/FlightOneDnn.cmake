# oneDNN (Debian's libdnnl-dev) as the imported target DNNL::dnnl, found by its header and library alone.
#
# Why not find_package(dnnl CONFIG): Debian builds oneDNN with the OpenCL GPU runtime, so its dnnl-config.cmake
# calls find_package(OpenCL REQUIRED) and its target links OpenCL::OpenCL.  The OpenCL development files
# (ocl-icd-opencl-dev) are only a Recommends of libdnnl-dev, so a fresh machine installing with
# --no-install-recommends fails at configure.  We use oneDNN's CPU engine only; libdnnl.so carries its own runtime
# dependencies (libOpenCL.so.1 comes with libdnnl2), so the header and the library are all a build needs.
set(FLIGHT_DNNL_MIN_VERSION 2.6)

find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(DNNL_LIBRARY NAMES dnnl)
if(NOT DNNL_INCLUDE_DIR OR NOT DNNL_LIBRARY)
  message(FATAL_ERROR "oneDNN not found (header oneapi/dnnl/dnnl.hpp: ${DNNL_INCLUDE_DIR}, library libdnnl: "
                      "${DNNL_LIBRARY}); install it with scripts/install-deps build (Debian package libdnnl-dev)")
endif()

file(STRINGS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _dnnl_version_lines
     REGEX "^#define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
foreach(_part MAJOR MINOR PATCH)
  string(REGEX REPLACE ".*#define DNNL_VERSION_${_part} ([0-9]+).*" "\\1" DNNL_VERSION_${_part}
         "${_dnnl_version_lines}")
endforeach()
set(DNNL_VERSION "${DNNL_VERSION_MAJOR}.${DNNL_VERSION_MINOR}.${DNNL_VERSION_PATCH}")
if(DNNL_VERSION VERSION_LESS FLIGHT_DNNL_MIN_VERSION)
  message(FATAL_ERROR "oneDNN ${DNNL_VERSION} found at ${DNNL_LIBRARY}; FLight DSE needs ${FLIGHT_DNNL_MIN_VERSION} "
                      "or newer (Debian 12: libdnnl-dev 2.6.3)")
endif()
message(STATUS "oneDNN ${DNNL_VERSION}: ${DNNL_LIBRARY}")

add_library(DNNL::dnnl UNKNOWN IMPORTED)
set_target_properties(DNNL::dnnl PROPERTIES IMPORTED_LOCATION "${DNNL_LIBRARY}"
                                            INTERFACE_INCLUDE_DIRECTORIES "${DNNL_INCLUDE_DIR}")
