# CMake package of libxfollow, installed by `make install` as
# <prefix>/lib/cmake/xfollow/xfollowConfig.cmake. It finds its files relative to itself, so
# a staged (DESTDIR) or moved prefix works as well as the one it was installed to.
#
#   find_package(xfollow CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE xfollow::xfollow)          # libxfollow.so.0
#   target_link_libraries(app PRIVATE xfollow::xfollow_static)   # libxfollow.a
#
# Both targets carry the include directory (xfollow.h and the C++ wrapper xfollow.hpp).

get_filename_component(_xfollow_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(_xfollow_libdir "${_xfollow_prefix}/lib")
set(_xfollow_includedir "${_xfollow_prefix}/include")

foreach(_xfollow_file "${_xfollow_libdir}/libxfollow.so.0" "${_xfollow_libdir}/libxfollow.a"
        "${_xfollow_includedir}/xfollow.h")
  if(NOT EXISTS "${_xfollow_file}")
    set(xfollow_FOUND FALSE)
    set(xfollow_NOT_FOUND_MESSAGE "xfollow: ${_xfollow_file} is missing from the installation")
    return()
  endif()
endforeach()

if(NOT TARGET xfollow::xfollow)
  add_library(xfollow::xfollow SHARED IMPORTED)
  set_target_properties(xfollow::xfollow PROPERTIES
    IMPORTED_LOCATION "${_xfollow_libdir}/libxfollow.so.0"
    IMPORTED_SONAME "libxfollow.so.0"
    INTERFACE_INCLUDE_DIRECTORIES "${_xfollow_includedir}")
endif()

if(NOT TARGET xfollow::xfollow_static)
  add_library(xfollow::xfollow_static STATIC IMPORTED)
  # What the Rust static library needs besides libc (as Libs.private in xfollow.pc).
  set_target_properties(xfollow::xfollow_static PROPERTIES
    IMPORTED_LOCATION "${_xfollow_libdir}/libxfollow.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "${_xfollow_includedir}"
    INTERFACE_LINK_LIBRARIES "gcc_s;util;rt;pthread;m;dl")
endif()

unset(_xfollow_file)
unset(_xfollow_prefix)
unset(_xfollow_libdir)
unset(_xfollow_includedir)
