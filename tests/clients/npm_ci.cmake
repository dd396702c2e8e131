# cmake -DSRC=clients/node -DDST=<build dir> -DNPM=<npm> -P npm_ci.cmake
# Installs exactly the packages package-lock.json pins, into the build tree.
if(NOT NPM)
  message(FATAL_ERROR "npm not found: run scripts/install-deps (installs nodejs and npm)")
endif()
file(MAKE_DIRECTORY ${DST})
file(COPY_FILE ${SRC}/package.json ${DST}/package.json ONLY_IF_DIFFERENT)
file(COPY_FILE ${SRC}/package-lock.json ${DST}/package-lock.json ONLY_IF_DIFFERENT)
# --ignore-scripts: nothing we use needs an install script (protobufjs's only
# prints a version warning), and running none keeps the install reproducible.
execute_process(COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund
                WORKING_DIRECTORY ${DST} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc})")
endif()
