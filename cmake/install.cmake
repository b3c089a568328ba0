# `cmake --install`: the headers, the static library, a CMake package (find_package(httptrace))
# and httptrace.pc (pkg-config), so both conventions work for consumers.
include(CMakePackageConfigHelpers)

install(TARGETS httptrace EXPORT httptraceTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/httptrace DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT httptraceTargets NAMESPACE httptrace:: FILE httptraceTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/httptrace)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/httptraceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/httptraceConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/httptrace)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/httptraceConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/httptraceConfig.cmake ${PROJECT_BINARY_DIR}/httptraceConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/httptrace)

# pkg-config: every dependency the static library needs, so that
# `pkg-config --cflags --libs --static httptrace` alone links a consumer.
file(RELATIVE_PATH HTTPTRACE_PC_PREFIX_FROM_PCFILEDIR "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
set(HTTPTRACE_PC_REQUIRES_PRIVATE "${HTTPTRACE_PC_DEPENDENCIES}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/httptrace.pc.in ${PROJECT_BINARY_DIR}/httptrace.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/httptrace.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
