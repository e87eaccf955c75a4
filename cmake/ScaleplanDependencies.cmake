# Every external dependency is found here, once. Optional parts turn themselves off with one message.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(Ceres 2.1 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)

# OpenBLAS: the CPU probe's GEMM (cblas_sgemm) and its run-time report (openblas_get_corename/config).
# Debian: libopenblas-dev. Found through pkg-config, else by library and header name; exposed as scaleplan::openblas.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(OpenBLAS QUIET IMPORTED_TARGET openblas)
endif()
if(TARGET PkgConfig::OpenBLAS)
  add_library(scaleplan::openblas ALIAS PkgConfig::OpenBLAS)
else()
  find_library(SCALEPLAN_OPENBLAS_LIBRARY NAMES openblas)
  find_path(SCALEPLAN_OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas openblas-pthread)
  if(NOT SCALEPLAN_OPENBLAS_LIBRARY OR NOT SCALEPLAN_OPENBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "scaleplan: OpenBLAS (library and cblas.h) not found; on Debian: apt-get install libopenblas-dev")
  endif()
  add_library(scaleplan::openblas INTERFACE IMPORTED)
  target_link_libraries(scaleplan::openblas INTERFACE ${SCALEPLAN_OPENBLAS_LIBRARY})
  target_include_directories(scaleplan::openblas INTERFACE ${SCALEPLAN_OPENBLAS_INCLUDE_DIR})
endif()

if(SCALEPLAN_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SCALEPLAN_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  find_package(OpenMP REQUIRED COMPONENTS CXX)  # the plain STREAM triad the probe benchmark compares with
endif()

if(SCALEPLAN_WITH_GUI)
  find_package(Qt6 6.4 COMPONENTS Widgets Charts Svg Concurrent Test QUIET)
  if(NOT Qt6_FOUND)
    message(STATUS "scaleplan: Qt 6 (Widgets, Charts, Svg, Concurrent, Test) not found: the GUI is turned off")
    set(SCALEPLAN_WITH_GUI OFF)
  endif()
endif()

# The Python module (Debian: python3-dev, pybind11-dev; its tests: python3-numpy, python3-pandas, python3-pytest).
# The Debian interpreter is preferred over one earlier on PATH (a pyenv or conda shim) unless Python3_EXECUTABLE
# names one: its numpy and pandas are the ones the module is built and tested against. Sanitizer and fuzzing builds
# leave it out: an instrumented extension only loads into an interpreter started with the sanitizer runtime
# preloaded, and the libraries it binds are checked by their own tests there.
if(SCALEPLAN_WITH_PYTHON AND (SCALEPLAN_SANITIZE OR SCALEPLAN_FUZZ))
  message(STATUS "scaleplan: the Python module is turned off in sanitizer and fuzzing builds (an instrumented "
                 "extension needs the sanitizer runtime preloaded into python3)")
  set(SCALEPLAN_WITH_PYTHON OFF)
endif()
if(SCALEPLAN_WITH_PYTHON)
  if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3)
  endif()
  find_package(Python3 COMPONENTS Interpreter Development.Module QUIET)
  if(Python3_FOUND)
    find_package(pybind11 CONFIG QUIET)
  endif()
  if(NOT Python3_FOUND OR NOT pybind11_FOUND)
    message(STATUS "scaleplan: Python 3 development files or pybind11 not found: the Python module is turned off "
                   "(apt-get install python3-dev pybind11-dev)")
    set(SCALEPLAN_WITH_PYTHON OFF)
  else()
    message(STATUS "scaleplan: Python module on (${Python3_EXECUTABLE}, pybind11 ${pybind11_VERSION})")
  endif()
endif()

set(SCALEPLAN_HAS_CUDA OFF)
if(SCALEPLAN_WITH_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Explicit architectures: `native` fails on machines without a GPU.
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(SCALEPLAN_HAS_CUDA ON)
    message(STATUS "scaleplan: CUDA probe backend on (${CMAKE_CUDA_COMPILER}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    message(STATUS "scaleplan: nvcc not found: the CUDA probe backend is turned off (the CPU backend remains)")
  endif()
endif()

# NCCL (nccl.h and libnccl, looked for in the CUDA toolkit first): the GPU backend of `probe --collectives`, a module
# loaded at run time (gpu_probe/CMakeLists.txt). Without it the MPI backend remains and --backend cuda says why.
set(SCALEPLAN_HAS_NCCL OFF)
if(SCALEPLAN_HAS_CUDA)
  find_path(SCALEPLAN_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} "${CUDAToolkit_LIBRARY_ROOT}/include")
  find_library(SCALEPLAN_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} "${CUDAToolkit_LIBRARY_ROOT}/lib64")
  if(SCALEPLAN_NCCL_INCLUDE_DIR AND SCALEPLAN_NCCL_LIBRARY)
    set(SCALEPLAN_HAS_NCCL ON)
    message(STATUS "scaleplan: NCCL found (${SCALEPLAN_NCCL_LIBRARY}): probe --collectives --backend cuda on")
  else()
    message(STATUS "scaleplan: nccl.h or libnccl not found under the CUDA toolkit: probe --collectives runs on MPI "
                   "only (set SCALEPLAN_NCCL_INCLUDE_DIR and SCALEPLAN_NCCL_LIBRARY to use another NCCL)")
  endif()
endif()

# MPI (Debian: openmpi-bin, libopenmpi-dev): the interconnect probe, `probe --collectives`, in its own library that
# only the scaleplan binary links. Without it the option stays and says why it is missing.
set(SCALEPLAN_HAS_MPI OFF)
if(SCALEPLAN_WITH_MPI)
  enable_language(C)  # FindMPI's C component compiles a C test program; we call the C API from C++
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(SCALEPLAN_HAS_MPI ON)
    message(STATUS "scaleplan: MPI found (${MPI_C_LIBRARIES}): probe --collectives on")
  else()
    message(STATUS "scaleplan: MPI not found: probe --collectives is turned off (apt-get install libopenmpi-dev)")
  endif()
endif()
