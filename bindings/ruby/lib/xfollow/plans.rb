# frozen_string_literal: true

module Xfollow
  # A plan's intents counted by state.
  class PlanStatus < Value
    fields :queued, :done, :pending, :skipped, :failed
  end

  # What a run reports after each intent (a copy: it owns its data).
  #   target           the target as added: an id or "@username"
  #   action           :follow or :unfollow
  #   state            the intent's state after it: :queued, :done, :pending, :skipped, :failed
  #   counts           the plan's PlanStatus after it
  #   next_request_at  when the plan may send its next request (Unix time, seconds)
  class PlanProgress < Value
    fields :target, :action, :state, :counts, :next_request_at
  end

  # How a run ended: stop is :finished (nothing queued), :deadline (max_seconds came first)
  # or :cancelled; sent counts the intents this run sent.
  class PlanRun < Value
    fields :stop, :sent
  end

  # A named plan of one source user in a store: a durable list of follows and unfollows,
  # run by Client#run_plan at a pace, resumable after a crash, shared by several runners
  # (docs/plans.md). The plan lives in the store; this object is a handle to it
  # (thread-safe; #close frees it, the plan stays).
  #
  # Stores are the quota ledger's: "memory:" (this process), "sqlite:PATH" (this machine),
  # "redis://host:port[/db]" or "rediss://..." (a fleet).
  class Plan
    include Guarded

    STATES = {
      Native::X_PLAN_QUEUED => :queued, Native::X_PLAN_DONE => :done, Native::X_PLAN_PENDING => :pending,
      Native::X_PLAN_SKIPPED => :skipped, Native::X_PLAN_FAILED => :failed
    }.freeze
    STOPS = { Native::X_PLAN_FINISHED => :finished, Native::X_PLAN_DEADLINE => :deadline,
              Native::X_PLAN_CANCELLED => :cancelled }.freeze
    # The library's bound on one call's list (a plan's bound on intents).
    MAX_TARGETS = 1_000_000

    attr_reader :name, :store

    class << self
      # The plan `name` of `source_user_id`, created when missing (InvalidArgument when it
      # exists for another user). Names: 1 to 64 of A-Z a-z 0-9 _ - . With a block, yields
      # the plan and closes the handle afterwards.
      def create(name, source_user_id, store: "memory:", &block)
        open_plan(name, store, Native.id_arg(source_user_id, "source_user_id"), block)
      end

      # The existing plan `name` (NotFound when there is none).
      def open(name, store: "memory:", &block)
        open_plan(name, store, nil, block)
      end

      # The names of every plan in the store, sorted.
      def list(store: "memory:")
        out = ::FFI::MemoryPointer.new(:pointer)
        Native.check(Native.x_plan_list(Native.text_arg(store, "store"), out))
        Native.take_string(out).split("\n")
      end

      # Deletes the plan and its intents; false when there was none.
      def drop(name, store: "memory:")
        out = ::FFI::MemoryPointer.new(:bool)
        Native.check(Native.x_plan_drop(Native.text_arg(store, "store"), Native.text_arg(name, "name"), out))
        out.read(:bool)
      end

      # An array of C strings for `const char *const *`, with the buffers that back it.
      def string_list(values, what) # :nodoc:
        raise TypeError, "#{what} must be an Array of ids or usernames, not a #{values.class}" unless values.is_a?(Array)
        if values.size > MAX_TARGETS
          raise InvalidArgument.new("#{what}: at most #{MAX_TARGETS} entries", code: Native::X_ERR_INVALID_ARGUMENT)
        end

        buffers = values.map { |v| ::FFI::MemoryPointer.from_string(Native.id_arg(v, what)) }
        array = ::FFI::MemoryPointer.new(:pointer, [buffers.size, 1].max)
        array.write_array_of_pointer(buffers)
        [array, buffers]
      end

      private :new

      private

      def open_plan(name, store, source, block)
        out = ::FFI::MemoryPointer.new(:pointer)
        Native.check(Native.x_plan_open(Native.text_arg(store, "store"), Native.text_arg(name, "name"), source, out))
        plan = new(Native::PlanPointer.new(out.read_pointer), name, store)
        return plan unless block

        begin
          block.call(plan)
        ensure
          plan.close
        end
      end
    end

    def initialize(handle, name, store) # :nodoc:
      guard(handle, "Xfollow::Plan")
      @name = name
      @store = store
    end

    # Adds a follow (or with unfollow: true, an unfollow) of each target: ids (String,
    # Integer, User) or "@username"s, resolved when the run reaches them. An intent already
    # in the plan is kept once; a bad target adds nothing. Returns how many are new.
    def add(targets, unfollow: false)
      array, _keep = Plan.string_list(targets, "targets")
      counted { |h, out| Native.x_plan_add(h, array, targets.size, unfollow ? true : false, out) }
    end

    # Adds an unfollow of everyone the source follows who does not follow back, except
    # `keep` (ids or "@username"s, at most 100,000). `client` acts for the source.
    def unfollow_non_followers(client, keep: [])
      array, _keep = Plan.string_list(keep, "keep")
      client.send(:with_handle) do |c|
        counted { |h, out| Native.x_plan_unfollow_non_followers(h, c, array, keep.size, out) }
      end
    end

    # Adds a follow of every follower of the source whom it does not follow.
    def follow_back(client)
      client.send(:with_handle) { |c| counted { |h, out| Native.x_plan_follow_back(h, c, out) } }
    end

    # The counts by state, from the store (the same from any process).
    def status
      values = ::FFI::MemoryPointer.new(:uint64, 5)
      with_handle do |h|
        Native.check(Native.x_plan_status(h, values, values + 8, values + 16, values + 24, values + 32))
      end
      queued, done, pending, skipped, failed = values.read_array_of_uint64(5)
      PlanStatus.new(queued: queued, done: done, pending: pending, skipped: skipped, failed: failed)
    end

    # What a run would send, in order, nothing sent: up to `limit` [action, target] pairs,
    # action :follow or :unfollow.
    def dry_run(limit = 1000)
      raise TypeError, "limit must be a non-negative Integer" unless limit.is_a?(Integer) && !limit.negative?

      out = ::FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Native.check(Native.x_plan_dry_run(h, [limit, MAX_TARGETS].min, out)) }
      Native.take_string(out).split("\n").map do |line|
        action, target = line.split(" ", 2)
        [action.to_sym, target]
      end
    end

    def inspect
      "#<Xfollow::Plan #{@name.inspect} in #{@store.split(':', 2).first}:>"
    end

    private

    def counted
      out = ::FFI::MemoryPointer.new(:uint64)
      with_handle { |h| Native.check(yield(h, out)) }
      out.read(:uint64)
    end
  end

  class Client
    # Runs `plan` (whose source this client must act for) until nothing is queued
    # (:finished), until `max_seconds` comes before the next request (:deadline), or until
    # #cancel (:cancelled). `pace` is "N/hour" or "N/day" (default "400/day"), each gap
    # lengthened by a random fraction up to a half. Returns a PlanRun.
    #
    # The block, if given, is called on this thread with a PlanProgress after every intent;
    # the intent's outcome is already recorded. An exception it raises (Interrupt too) ends
    # the run after that intent, without cancelling the client (calls on it from other
    # threads go on), and run_plan raises it. A failure that would fail every intent (401, a store error) raises its
    # Xfollow::Error; the intents stay queued.
    def run_plan(plan, pace: nil, max_seconds: nil, &progress)
      raise TypeError, "plan must be an Xfollow::Plan, not #{plan.class}" unless plan.is_a?(Plan)

      seconds = plan_seconds(max_seconds)
      pace_arg = Native.optional_text_arg(pace, "pace")
      stop = ::FFI::MemoryPointer.new(:int)
      sent = ::FFI::MemoryPointer.new(:uint64)
      raised = nil
      with_handle do |c|
        callback = progress && proc do |_user_data, p|
          progress.call(plan_progress(p))
          true
        rescue Exception => e # rubocop:disable Lint/RescueException -- nothing may unwind through C
          raised = e
          false # the run ends after this intent; the client is not cancelled
        end
        plan.send(:with_handle) do |h|
          code = Native.x_plan_run(h, c, pace_arg, seconds, callback, nil, stop, sent)
          raise raised if raised

          Native.check(code)
        end
      end
      PlanRun.new(stop: Plan::STOPS.fetch(stop.read(:int), :unknown), sent: sent.read(:uint64))
    end

    private

    def plan_seconds(max_seconds)
      return 0 if max_seconds.nil?
      unless max_seconds.is_a?(Numeric) && max_seconds.positive?
        raise ArgumentError, "max_seconds must be a positive number of seconds"
      end

      [max_seconds.ceil, 0xFFFF_FFFF_FFFF_FFFF].min
    end

    def plan_progress(p)
      counts = Array.new(5) { |s| Native.x_plan_progress_count(p, s) }
      PlanProgress.new(
        target: Native.utf8(Native.x_plan_progress_target(p)) || "",
        action: Native.x_plan_progress_unfollow(p) == 1 ? :unfollow : :follow,
        state: Plan::STATES.fetch(Native.x_plan_progress_state(p), :unknown),
        counts: PlanStatus.new(queued: counts[0], done: counts[1], pending: counts[2], skipped: counts[3],
                               failed: counts[4]),
        next_request_at: Native.x_plan_progress_next_request_at(p)
      )
    end
  end
end
