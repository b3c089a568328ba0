# The profile-guided release build (docs/benchmarks.md, "The profile-guided build").
#
# On our machine class a request's own code runs cold after every system call: each distinct
# taken branch, call or code line it then runs costs several cycles (measured; the table is in
# the docs). GCC lays a hot path out straight only when it knows which way each branch goes,
# so the release library is compiled twice:
#   1. an instrumented build of this same project (build/pgo/instrumented/), which builds the
#      training program tools/pgo_train and nothing else;
#   2. the training run, whose counts land in build/pgo/profile/;
#   3. the library itself, compiled with -fprofile-use from those counts.
# Any change to the library's sources re-runs all three (the counts of every file may change).
# -fprofile-prefix-path strips each build's own directory from the object paths, so both
# builds name a source's counts the same. Configure with -DHTTPTRACE_PGO=OFF for a quicker
# edit-compile loop; the code is the same either way, only its layout and inlining differ.
include(ExternalProject)

set(pgo_root ${CMAKE_BINARY_DIR}/pgo)
set(pgo_instrumented ${pgo_root}/instrumented)
set(pgo_profile ${pgo_root}/profile)
set(pgo_trainer ${pgo_instrumented}/bin/httptrace_pgo_train)
set(pgo_stamp ${pgo_root}/trained.stamp)

ExternalProject_Add(httptrace_pgo_instrumented
  PREFIX ${pgo_root}/external
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${pgo_instrumented}
  CMAKE_GENERATOR ${CMAKE_GENERATOR}
  CMAKE_ARGS
    -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS} -fprofile-generate=${pgo_profile} -fprofile-update=prefer-atomic -fprofile-prefix-path=${pgo_instrumented}"
    -DHTTPTRACE_PGO=OFF
    -DHTTPTRACE_PGO_TRAINER=ON
    -DHTTPTRACE_BUILD_TESTS=OFF
    -DHTTPTRACE_BUILD_TOOLS=OFF
    -DHTTPTRACE_BUILD_BENCH=OFF
  BUILD_COMMAND ${CMAKE_COMMAND} --build ${pgo_instrumented} --target httptrace_pgo_train
  BUILD_ALWAYS ON
  BUILD_BYPRODUCTS ${pgo_trainer}
  INSTALL_COMMAND ""
  TEST_COMMAND "")

# Counts add up across runs, so each training starts from none.
add_custom_command(OUTPUT ${pgo_stamp}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${pgo_profile}
  COMMAND ${pgo_trainer} ${pgo_root}
  COMMAND ${CMAKE_COMMAND} -E touch ${pgo_stamp}
  DEPENDS ${pgo_trainer}
  COMMENT "Training the release library (profile-guided build)"
  VERBATIM)
add_custom_target(httptrace_pgo_profile DEPENDS ${pgo_stamp})
add_dependencies(httptrace_pgo_profile httptrace_pgo_instrumented)
add_dependencies(httptrace httptrace_pgo_profile)

get_target_property(library_sources httptrace SOURCES)
set_source_files_properties(${library_sources} TARGET_DIRECTORY httptrace
                            PROPERTIES OBJECT_DEPENDS ${pgo_stamp})
# -fprofile-partial-training: code the run never reached is optimised as without a profile,
# not for size. Files whose code it never linked have no counts at all (-Wno-missing-profile).
target_compile_options(httptrace PRIVATE -fprofile-use=${pgo_profile}
                       -fprofile-prefix-path=${CMAKE_BINARY_DIR} -fprofile-partial-training
                       -Wno-missing-profile)
