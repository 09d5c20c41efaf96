# frozen_string_literal: true

module Xfollow
  # The lifetime guard of a native handle shared between threads (Client, Plan): #close
  # frees it only once no call running in another thread still uses it.
  module Guarded # :nodoc:
    # Frees the handle, after waiting for calls running in other threads. Idempotent.
    def close
      @lock.synchronize do
        @closed = true
        @idle.wait(@lock) while @active.positive?
        @handle&.free
        @handle = nil
      end
      nil
    end

    def closed?
      @closed
    end

    private

    # `kind` is named in the error once closed, e.g. "Xfollow::Client".
    def guard(handle, kind)
      @handle = handle
      @kind = kind
      @lock = Mutex.new
      @idle = ConditionVariable.new
      @active = 0
      @closed = false
    end

    # Yields the handle, kept open until the block returns (IOError once closed).
    def with_handle
      handle = @lock.synchronize do
        raise IOError, "operation on a closed #{@kind}" if @closed

        @active += 1
        @handle
      end
      begin
        yield handle
      ensure
        @lock.synchronize do
          @active -= 1
          @idle.broadcast if @active.zero?
        end
      end
    end
  end
end
