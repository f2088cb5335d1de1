# install.cmake: install rules and package files for fathom (included from CMakeLists.txt).
#
# Installs: include/fathom.h (+ fathom_findings.h, fathom_live.h, fathom_model.h, fathom_work.h, fathom_locks.h, fathom_profilers.h, fathom_ext.h), libfathom.a, libfathom.so (+ soname links), the `fathom`
# tool, a pkg-config file (fathom.pc) and a CMake package (find_package(fathom CONFIG))
# exporting fathom::fathom (static) and fathom::fathom_shared.

include(CMakePackageConfigHelpers)

set(FATHOM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/fathom")
set(FATHOM_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set(FATHOM_PKG_DIR "${PROJECT_BINARY_DIR}/fathom-package")

# ---- header, libraries, tool ---------------------------------------------------------
install(FILES "${PROJECT_SOURCE_DIR}/include/fathom.h" "${PROJECT_SOURCE_DIR}/include/fathom_findings.h"
              "${PROJECT_SOURCE_DIR}/include/fathom_live.h" "${PROJECT_SOURCE_DIR}/include/fathom_model.h"
              "${PROJECT_SOURCE_DIR}/include/fathom_work.h" "${PROJECT_SOURCE_DIR}/include/fathom_locks.h"
              "${PROJECT_SOURCE_DIR}/include/fathom_profilers.h"
              "${PROJECT_SOURCE_DIR}/include/fathom_ext.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(TARGETS fathom fathom_shared EXPORT fathomTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"   # libfathom.so.X.Y.Z, .so.X, .so
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

install(TARGETS fathom_tool RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

# ---- CMake package -------------------------------------------------------------------
install(EXPORT fathomTargets
        NAMESPACE fathom::
        FILE fathomTargets.cmake
        DESTINATION "${FATHOM_INSTALL_CMAKEDIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/fathomConfig.cmake.in"
                              "${FATHOM_PKG_DIR}/fathomConfig.cmake"
                              INSTALL_DESTINATION "${FATHOM_INSTALL_CMAKEDIR}")
# 0.x: a minor release may change the API, so only the same major.minor is compatible.
write_basic_package_version_file("${FATHOM_PKG_DIR}/fathomConfigVersion.cmake"
                                 VERSION "${PROJECT_VERSION}"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${FATHOM_PKG_DIR}/fathomConfig.cmake"
              "${FATHOM_PKG_DIR}/fathomConfigVersion.cmake"
        DESTINATION "${FATHOM_INSTALL_CMAKEDIR}")

# ---- pkg-config ----------------------------------------------------------------------
# fathom.pc is generated at install time, so that its prefix is the one actually installed
# to (`cmake --install --prefix P` included); DESTDIR is not part of it.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_fathom_pc_libdir "${CMAKE_INSTALL_LIBDIR}")
else()
  set(_fathom_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_fathom_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(_fathom_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
install(CODE "
  set(FATHOM_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(FATHOM_PC_LIBDIR [[${_fathom_pc_libdir}]])
  set(FATHOM_PC_INCLUDEDIR [[${_fathom_pc_includedir}]])
  set(FATHOM_PC_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/fathom.pc.in\" \"${FATHOM_PKG_DIR}/fathom.pc\" @ONLY)
")
install(FILES "${FATHOM_PKG_DIR}/fathom.pc" DESTINATION "${FATHOM_INSTALL_PKGCONFIGDIR}")
